/** @module shale/formats — archive formats in and out of the store: docker-archive (1.10+ and legacy), OCI layouts, oci-archive; `copy` between registries, OCI layouts and archives. */
export * from './oci-layout/index.ts';
export * from './docker-archive/index.ts';
export * from './docker-legacy/index.ts';
export * from './oci-archive/index.ts';
export * from './load/index.ts';
export * from './save/index.ts';
export * from './copy/index.ts';
