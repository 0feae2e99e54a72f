/** The compression module: sniffing, streaming decompression (gzip, zstd, xz, bzip2) and gzip/zstd compression. */
export type { Compression, CompressOptions, DecompressOptions } from './types.ts';
export { sniffCompression } from './sniff.ts';
export { peekCompression } from './peek.ts';
export { decompressStream, autoDecompress } from './decompress.ts';
export { compressStream, zstdCompressionAvailable } from './compress.ts';
export { DEFAULT_LIMITS } from './limits.ts';
