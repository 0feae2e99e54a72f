/**
 * DiffID: the sha256 digest of a layer's uncompressed tar stream, whatever compression the
 * blob arrived in (sniffed, never trusted from a media type).
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { PassThrough, type Readable } from 'node:stream';
import { digestOf, type Digest } from '../core/digest.ts';
import { autoDecompress, type Compression, type DecompressOptions } from './compression/index.ts';

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
  limits?: DecompressOptions,
): Promise<DiffIdResult> {
  const { compression, stream } = await autoDecompress(source, limits);
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    signal?.throwIfAborted();
    hash.update(chunk);
    size += chunk.length;
  }
  return { diffId: digestOf('sha256', hash.digest('hex')), size, compression };
}

/**
 * A DiffID computed from bytes pushed in as they arrive (e.g. while a blob downloads): `write`
 * resolves when the decompressor can take more, `end` resolves to the result.
 */
export class DiffIdSink {
  private readonly input = new PassThrough({ highWaterMark: 1 << 20 });
  private readonly result: Promise<DiffIdResult>;

  constructor(signal?: AbortSignal) {
    this.result = computeDiffId(this.input, signal);
    this.result.catch(() => undefined); // surfaced by end()
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (this.input.write(chunk)) return;
    // A decompression error ends the computation: it must also end the wait for 'drain'.
    await Promise.race([once(this.input, 'drain'), this.result]);
  }

  async end(): Promise<DiffIdResult> {
    this.input.end();
    return this.result;
  }

  /** Stop computing (the download failed or was abandoned). */
  destroy(): void {
    this.input.destroy();
  }
}
