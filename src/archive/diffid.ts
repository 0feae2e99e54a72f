/**
 * DiffID: the sha256 digest of a layer's uncompressed tar stream, whatever compression the
 * blob arrived in (sniffed, never trusted from a media type).
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { digestOf, type Digest } from '../core/digest.ts';
import { autoDecompress, type Compression } from './compression/index.ts';

export interface DiffIdResult {
  diffId: Digest;
  /** Bytes of the uncompressed stream. */
  size: number;
  compression: Compression;
}

/** Hash the decompressed form of `source`. */
export async function computeDiffId(
  source: Readable | AsyncIterable<Uint8Array>,
  signal?: AbortSignal,
): Promise<DiffIdResult> {
  const { compression, stream } = await autoDecompress(source);
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    signal?.throwIfAborted();
    hash.update(chunk);
    size += chunk.length;
  }
  return { diffId: digestOf('sha256', hash.digest('hex')), size, compression };
}
