/**
 * A verifying read of one stored blob: its bytes are hashed as they stream out and checked against
 * the blob's name when the file ends, so a blob that rotted on disk fails the read (at its end)
 * instead of handing wrong bytes on. A consumer that stops early (a tar reader stops at the
 * end-of-archive blocks) calls `verified()`, which hashes what it left unread.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { pipeline, Transform, type TransformCallback } from 'node:stream';
import { isShaleError } from '../../core/errors.ts';
import { digestOf, parseDigest, type Digest, type DigestAlgorithm } from '../../core/digest.ts';

const CHUNK_BYTES = 1 << 20;

/** Called with what the blob's bytes hash to when that is not its name; returns the error to raise. */
export type OnDamage = (actual: Digest) => Promise<Error>;

export class VerifiedBlobStream extends Transform {
  private readonly algorithm: DigestAlgorithm;
  private readonly hash: Hash;
  /** Bytes hashed so far: always a prefix of the file. */
  private hashed = 0;
  private check: Promise<void> | undefined;

  constructor(
    private readonly file: string,
    private readonly digest: Digest,
    private readonly onDamage: OnDamage,
  ) {
    super({ readableHighWaterMark: CHUNK_BYTES, writableHighWaterMark: CHUNK_BYTES });
    this.algorithm = parseDigest(digest).algorithm;
    this.hash = createHash(this.algorithm);
    pipeline(createReadStream(file, { highWaterMark: CHUNK_BYTES }), this, () => {
      // errors reach the consumer through this stream, which pipeline destroys with them
    });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.hashed += chunk.length;
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    this.check ??= this.compare();
    this.check.then(() => done(), done);
  }

  /**
   * Resolves once every byte of the blob has been hashed and matches its name — reading the rest of
   * the file when the consumer stopped early (this stream is then destroyed); rejects otherwise.
   */
  verified(): Promise<void> {
    this.check ??= this.hashRest().then(() => this.compare());
    return this.check;
  }

  /**
   * What to report when a consumer of this stream failed with `err`: the blob's damage when the
   * rest of it does not verify (a decoder chokes on rotten bytes before the end), else `err`.
   */
  async explain(err: unknown): Promise<unknown> {
    try {
      await this.verified();
    } catch (damage) {
      if (isShaleError(damage, 'ERR_DIGEST_MISMATCH')) return damage;
    }
    return err;
  }

  private async hashRest(): Promise<void> {
    if (!this.destroyed) this.destroy();
    const rest = createReadStream(this.file, { start: this.hashed, highWaterMark: CHUNK_BYTES });
    for await (const chunk of rest as AsyncIterable<Buffer>) this.hash.update(chunk);
  }

  private async compare(): Promise<void> {
    const actual = digestOf(this.algorithm, this.hash.digest('hex'));
    if (actual !== this.digest) throw await this.onDamage(actual);
  }
}
