/**
 * DiffID: the sha256 digest of a layer's uncompressed tar stream, whatever compression the
 * blob arrived in (sniffed, never trusted from a media type) — computed on its own, as a tap on a
 * stream something else consumes (an extraction), or from bytes pushed in as they download.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { PassThrough, Transform, type Readable, type TransformCallback } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { digestOf, type Digest } from '../core/digest.ts';
import { autoDecompress, type Compression, type DecompressOptions } from './compression/index.ts';

export interface DiffIdResult {
  diffId: Digest;
  /** Bytes of the uncompressed stream. */
  size: number;
  compression: Compression;
}

/**
 * Hashes an uncompressed layer stream as it passes through to a consumer. The consumer may stop
 * early (a tar reader stops at the end-of-archive blocks): `result` reads the rest, because the
 * DiffID covers every byte.
 */
export class DiffIdTap extends Transform {
  private readonly hash = createHash('sha256');
  private size = 0;
  private readonly piped: Promise<void>;

  constructor(
    source: Readable,
    private readonly compression: Compression,
    private readonly signal?: AbortSignal,
  ) {
    super({ readableHighWaterMark: 1 << 20 });
    this.piped = pipeline(source, this);
    this.piped.catch(() => undefined); // surfaced by result() or the consumer's read
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    if (this.signal?.aborted) return done(this.signal.reason as Error);
    this.hash.update(chunk);
    this.size += chunk.length;
    done(null, chunk);
  }

  /** The stream for the consumer: leaving its loop early does not end the tap. */
  reader(): AsyncIterable<Uint8Array> {
    return this.iterator({ destroyOnReturn: false });
  }

  /** Drain what the consumer left unread; the DiffID of the whole stream. */
  async result(): Promise<DiffIdResult> {
    if (!this.readableEnded) {
      this.resume();
      await finished(this, { writable: false });
    }
    await this.piped;
    return {
      diffId: digestOf('sha256', this.hash.digest('hex')),
      size: this.size,
      compression: this.compression,
    };
  }
}

/** Hash the decompressed form of `source`. */
export async function computeDiffId(
  source: Readable | AsyncIterable<Uint8Array>,
  signal?: AbortSignal,
  limits?: DecompressOptions,
): Promise<DiffIdResult> {
  const { compression, stream } = await autoDecompress(source, limits);
  return new DiffIdTap(stream, compression, signal).result();
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
