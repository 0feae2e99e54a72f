/**
 * DiffID: the sha256 digest of a layer's uncompressed tar stream, whatever compression the
 * blob arrived in (sniffed, never trusted from a media type) — computed on its own, as a tap on a
 * stream something else consumes (an extraction), or from bytes pushed in as they download. On
 * request (`countContent`) the same pass parses the tar headers to count the layer's content size
 * as Docker does (content-size.ts); a plain DiffID does not pay for that.
 */
import { createHash } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
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
 * Hashes an uncompressed layer stream as a consumer reads it. The consumer may stop early (a tar
 * reader stops at the end-of-archive blocks): `result` reads the rest, because the DiffID covers
 * every byte. Each chunk is hashed in the consumer's own read loop, with no stream stage between
 * (a Transform's per-chunk hand-offs cost more than the hashing).
 */
export class DiffIdTap {
  private readonly hash = createHash('sha256');
  private readonly contents: ContentSizeTap | undefined;
  private readonly signal: AbortSignal | undefined;
  private readonly chunks: AsyncIterator<Buffer, undefined>;
  private size = 0;

  constructor(
    private readonly source: Readable,
    private readonly compression: Compression,
    options: DiffIdOptions = {},
  ) {
    this.signal = options.signal;
    this.contents = options.countContent ? new ContentSizeTap() : undefined;
    const chunks = source.iterator({ destroyOnReturn: false });
    this.chunks = chunks[Symbol.asyncIterator]() as AsyncIterator<Buffer, undefined>;
  }

  /** The next chunk, hashed; undefined at the end. */
  private async next(): Promise<Buffer | undefined> {
    this.signal?.throwIfAborted();
    const step = await this.chunks.next();
    if (step.done) return undefined;
    const value = step.value;
    this.hash.update(value);
    this.contents?.write(value);
    this.size += value.length;
    return value;
  }

  /** The stream for the consumer: leaving its loop early does not end the tap. */
  async *reader(): AsyncGenerator<Uint8Array> {
    for (let chunk = await this.next(); chunk; chunk = await this.next()) yield chunk;
  }

  /** Drain what the consumer left unread; the DiffID of the whole stream. */
  async result(): Promise<DiffIdResult> {
    while (await this.next());
    return {
      diffId: digestOf('sha256', this.hash.digest('hex')),
      size: this.size,
      compression: this.compression,
      contentSize: this.contents?.end(),
    };
  }

  destroy(): void {
    this.source.destroy();
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
