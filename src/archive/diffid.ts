/**
 * DiffID: the sha256 digest of a layer's uncompressed tar stream, whatever compression the
 * blob arrived in (sniffed, never trusted from a media type) — computed on its own, as a tap on a
 * stream something else consumes (an extraction), or from bytes pushed in as they download. On
 * request (`countContent`) the same pass parses the tar headers to count the layer's content size
 * as Docker does (content-size.ts); a plain DiffID does not pay for that.
 */
import { createHash } from 'node:crypto';
import { PassThrough, Transform, type Readable, type TransformCallback } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { digestOf, type Digest } from '../core/digest.ts';
import { autoDecompress, type Compression, type DecompressOptions } from './compression/index.ts';
import { ContentSizeTap } from './content-size.ts';
import { drained } from './drained.ts';

export interface DiffIdResult {
  diffId: Digest;
  /** Bytes of the uncompressed stream. */
  size: number;
  compression: Compression;
  /**
   * Docker's size of the layer (content-size.ts), when counted; undefined when not asked for or
   * when the stream is not a readable tar.
   */
  contentSize?: number;
}

export interface DiffIdOptions {
  signal?: AbortSignal;
  /** Also count the layer's content size (parses the tar headers on the way). */
  countContent?: boolean;
}

/**
 * Hashes an uncompressed layer stream as it passes through to a consumer. The consumer may stop
 * early (a tar reader stops at the end-of-archive blocks): `result` reads the rest, because the
 * DiffID covers every byte.
 */
export class DiffIdTap extends Transform {
  private readonly hash = createHash('sha256');
  private readonly contents: ContentSizeTap | undefined;
  private readonly signal: AbortSignal | undefined;
  private size = 0;
  private readonly piped: Promise<void>;

  constructor(
    source: Readable,
    private readonly compression: Compression,
    options: DiffIdOptions = {},
  ) {
    super({ readableHighWaterMark: 1 << 20 });
    this.signal = options.signal;
    this.contents = options.countContent ? new ContentSizeTap() : undefined;
    this.piped = pipeline(source, this);
    this.piped.catch(() => undefined); // surfaced by result() or the consumer's read
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    if (this.signal?.aborted) return done(this.signal.reason as Error);
    this.hash.update(chunk);
    this.contents?.write(chunk);
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
      contentSize: this.contents?.end(),
    };
  }
}

/** Hash the decompressed form of `source`. */
export async function computeDiffId(
  source: Readable | AsyncIterable<Uint8Array>,
  options: DiffIdOptions & { limits?: DecompressOptions } = {},
): Promise<DiffIdResult> {
  const { compression, stream } = await autoDecompress(source, options.limits);
  return new DiffIdTap(stream, compression, options).result();
}

/**
 * A DiffID computed from bytes pushed in as they arrive (e.g. while a blob downloads): `write`
 * resolves when the decompressor can take more, `end` resolves to the result.
 */
export class DiffIdSink {
  private readonly input = new PassThrough({ highWaterMark: 1 << 20 });
  private readonly result: Promise<DiffIdResult>;

  constructor(options: DiffIdOptions = {}) {
    this.result = computeDiffId(this.input, options);
    this.result.catch(() => undefined); // surfaced by end()
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (this.input.write(chunk)) return;
    // A decompression error ends the computation: it must also end the wait for 'drain'.
    await Promise.race([drained(this.input).catch(() => undefined), this.result]);
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
