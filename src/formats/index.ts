/** @module shale/formats — images in and out of the store: OCI layouts, rootfs import, unpack, working trees. */
export * from './oci-layout/index.ts';
export * from './docker-archive/index.ts';
export * from './docker-legacy/index.ts';
export * from './oci-archive/index.ts';
export * from './load/index.ts';
export * from './save/index.ts';
export { importRootfs, type ImportOptions } from './rootfs-import.ts';
export { unpackImage, type UnpackOptions } from './unpack.ts';
export { checkout, diffWorktree, commitWorktree, type CommitOptions } from './worktree.ts';
export * from './migrate/index.ts';
