/** @module shale/archive — tar codec, compression, TarSum and DiffIDs. Imports nothing from the store. */
export * from './tar/index.ts';
export * from './tarsum/index.ts';
export * from './tar-split/index.ts';
export * from './compression/index.ts';
export * from './diffid.ts';
export * from './content-size.ts';
export * from './pack.ts';
export * from './changes/index.ts';
export * from './apply/index.ts';
export { readFileChunks } from './file-chunks.ts';
export { openReadStream } from './open-read-stream.ts';
