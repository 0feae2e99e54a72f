/**
 * @module shale/trees — filesystem trees to and from stored images: unpack an image into a
 * directory, working trees (checkout, diff against the base, commit a new image), and the import
 * of a root filesystem (directory or tar) as an image.
 */
export { importRootfs, type ImportOptions } from './rootfs-import.ts';
export { unpackImage, type UnpackOptions } from './unpack.ts';
export { checkout, diffWorktree, commitWorktree, type CommitOptions } from './worktree.ts';
