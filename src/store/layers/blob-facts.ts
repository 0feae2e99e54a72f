/**
 * What a stored blob shows without being decompressed: its compression (sniffed from the head)
 * and, for gzip, the uncompressed size its trailer states (ISIZE, modulo 2^32: an estimate for
 * display until the blob is first read through).
 */
import { open } from 'node:fs/promises';
import { sniffCompression, type Compression } from '../../archive/compression/index.ts';

const HEAD_BYTES = 10;
const GZIP_TRAILER_SIZE_BYTES = 4;

export interface BlobFacts {
  compression: Compression;
  /** Bytes of the blob as stored. */
  size: number;
  /** Uncompressed bytes: exact for a plain tar, the gzip trailer's figure, else 0 (unknown). */
  uncompressedEstimate: number;
}

export async function storedBlobFacts(file: string): Promise<BlobFacts> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const head = Buffer.alloc(Math.min(HEAD_BYTES, size));
    await handle.read(head, 0, head.length, 0);
    const compression = sniffCompression(head);
    if (compression === 'none') return { compression, size, uncompressedEstimate: size };
    if (compression !== 'gzip' || size < GZIP_TRAILER_SIZE_BYTES)
      return { compression, size, uncompressedEstimate: 0 };
    const trailer = Buffer.alloc(GZIP_TRAILER_SIZE_BYTES);
    await handle.read(trailer, 0, trailer.length, size - trailer.length);
    return { compression, size, uncompressedEstimate: trailer.readUInt32LE(0) };
  } finally {
    await handle.close();
  }
}
