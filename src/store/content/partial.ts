/**
 * Resumable blob writes (downloads): the bytes of one expected blob accumulate in
 * `ingest/partial-<alg>-<hex>` across attempts and processes until they verify, then the file is
 * renamed into `blobs/`. One writer per blob at a time, across processes: a lock (lock.ts) beside
 * the partial is taken over as soon as its holder is dead (so a killed pull is resumed at once).
 * Nothing under `blobs/` changes before `commit`.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { digestOf, parseDigest, type Digest } from '../../core/digest.ts';
import { ShaleError } from '../../core/errors.ts';
import { acquireLock } from '../lock.ts';
import { storeWriteFailure } from '../disk-errors.ts';
import { BLOB_MODE, syncDirectory, type IngestResult, type IngestTarget } from './ingest.ts';
import { writeFully } from '../write-fully.ts';
import { Writeback } from './writeback.ts';

export interface PartialOptions {
  signal?: AbortSignal;
  /**
   * Called with every byte of the blob in order, the bytes already on disk first (for consumers
   * such as a DiffID computation that must see the whole blob). Awaited: it may apply backpressure.
   */
  onBytes?: (chunk: Uint8Array) => Promise<void> | void;
}

async function sizeOf(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
}

/** Bytes gathered before one write: few syscalls, and a write overlaps the next batch's reads. */
const WRITE_BATCH_BYTES = 1 << 20;

export class PartialBlob {
  private constructor(
    private readonly target: IngestTarget,
    readonly digest: Digest,
    readonly size: number,
    private readonly file: string,
    private readonly handle: FileHandle,
    private readonly unlock: () => Promise<void>,
    private readonly options: PartialOptions,
  ) {
    this.writeback = new Writeback(handle);
    this.hash = createHash(parseDigest(digest).algorithm);
  }

  private readonly writeback: Writeback;
  private hash: Hash;
  /** Bytes of the blob in the file. */
  private written = 0;
  /** The bytes verified and flushed to disk: committing is a rename. */
  private settled = false;

  /**
   * Open (or resume) the partial write of the blob `digest` of `size` bytes. Waits while another
   * process writes the same blob; re-reads what earlier attempts left, so `offset` bytes are done.
   */
  static async open(
    target: IngestTarget,
    expected: { digest: Digest; size: number },
    options: PartialOptions = {},
  ): Promise<PartialBlob> {
    const { algorithm, hex } = parseDigest(expected.digest);
    await mkdir(target.ingestDir, { recursive: true });
    const file = path.join(target.ingestDir, `partial-${algorithm}-${hex}`);
    // Waits without limit (abortable) while a live process downloads the same blob.
    const lock = await acquireLock(`${file}.lock`, { signal: options.signal });
    const unlock = () => lock.release();
    let partial: PartialBlob | undefined;
    try {
      const handle = await open(file, 'a+', 0o644);
      partial = new PartialBlob(
        target,
        expected.digest,
        expected.size,
        file,
        handle,
        unlock,
        options,
      );
      await partial.replayExisting();
      return partial;
    } catch (err) {
      await (partial ? partial.close() : unlock());
      throw err;
    }
  }

  /** Bytes already written; a download resumes with `Range: bytes=<offset>-`. */
  get offset(): number {
    return this.written;
  }

  get complete(): boolean {
    return this.written === this.size;
  }

  private async replayExisting(): Promise<void> {
    const existing = await sizeOf(this.file);
    if (existing > this.size) {
      await this.restart(); // longer than the blob can be: junk from something else
      return;
    }
    if (existing === 0) return;
    for await (const chunk of createReadStream(this.file, { highWaterMark: 1 << 20 })) {
      await this.consume(chunk as Buffer);
    }
  }

  private async consume(chunk: Uint8Array): Promise<void> {
    this.options.signal?.throwIfAborted();
    if (this.written + chunk.length > this.size) throw this.tooLarge();
    this.written += chunk.length;
    this.hash.update(chunk);
    await this.options.onBytes?.(chunk);
  }

  /**
   * Append the next bytes of the blob (what follows `offset`). Chunks are gathered into batches
   * written while the next batch arrives; whatever was received is written even when the source
   * fails, so `offset` stays true for a resumption. Bytes count (offset, hash, `onBytes`) only
   * once the file holds every one of them; a write that fails part-way (a full disk) is cut back
   * off, so the file is always the prefix that was counted.
   */
  async append(source: AsyncIterable<Uint8Array>): Promise<void> {
    await this.settleLength();
    let batch: Uint8Array[] = [];
    let batched = 0;
    let received = this.written;
    let writing: Promise<void> = Promise.resolve();
    const flush = async (): Promise<void> => {
      await writing;
      if (batch.length === 0) return;
      writing = this.writeBatch(batch, batched);
      writing.catch(() => undefined); // awaited by the next flush
      batch = [];
      batched = 0;
    };
    try {
      for await (const chunk of source) {
        this.options.signal?.throwIfAborted();
        received += chunk.length;
        if (received > this.size) throw this.tooLarge();
        batch.push(chunk);
        batched += chunk.length;
        if (batched >= WRITE_BATCH_BYTES) await flush();
      }
    } finally {
      await flush();
      await writing;
    }
  }

  /** Write `chunks` (`bytes` in all) after the counted bytes, then count them. */
  private async writeBatch(chunks: Uint8Array[], bytes: number): Promise<void> {
    try {
      await writeFully(this.handle, chunks);
    } catch (err) {
      await this.handle.truncate(this.written).catch(() => undefined); // else settleLength cuts it
      throw this.writeFailure(err);
    }
    this.writeback.wrote(bytes);
    for (const chunk of chunks) await this.consume(chunk);
  }

  /**
   * Before more bytes are appended or the blob is verified, the file must hold exactly the bytes
   * counted (fstat): a tail beyond them (a write that failed part-way and could not be cut back)
   * is cut off now; a file shorter than that was changed by something else, and starts over.
   */
  private async settleLength(): Promise<void> {
    const { size } = await this.handle.stat();
    if (size === this.written) return;
    if (size > this.written) return void (await this.handle.truncate(this.written));
    const counted = this.written;
    await this.restart();
    throw new ShaleError(
      'ERR_IO',
      `the partial download of blob ${this.digest} holds ${size} bytes where ${counted} were written; it was discarded — run the command again`,
    );
  }

  private tooLarge(): ShaleError {
    return new ShaleError(
      'ERR_SIZE_MISMATCH',
      `blob ${this.digest} is larger than the expected ${this.size} bytes`,
    );
  }

  /** A failed write in the store's words (a full disk says how many bytes were still to come). */
  private writeFailure(err: unknown): unknown {
    const neededBytes = this.size - this.written;
    return storeWriteFailure(err, this.file, { what: `blob ${this.digest}`, neededBytes });
  }

  /** Start from byte 0 again (the server ignored a Range request, or the bytes were junk). */
  async restart(): Promise<void> {
    this.settled = false;
    await this.handle.truncate(0);
    this.hash = createHash(parseDigest(this.digest).algorithm);
    this.written = 0;
  }

  /**
   * Check size and digest, then flush the bytes to disk (done as each download ends, so parallel
   * downloads flush in parallel and the commit that follows has only a rename left). A blob that
   * does not verify is deleted (its bytes are wrong, resuming cannot help) and
   * ERR_SIZE_MISMATCH / ERR_DIGEST_MISMATCH thrown.
   */
  async verify(): Promise<void> {
    if (this.settled) return;
    await this.settleLength();
    const { algorithm } = parseDigest(this.digest);
    const actual =
      this.written === this.size ? digestOf(algorithm, this.hash.copy().digest('hex')) : undefined;
    if (actual === this.digest) {
      await this.writeback.sync().catch((err: unknown) => {
        throw this.writeFailure(err);
      });
      this.settled = true;
      return;
    }
    await this.discard();
    throw this.written !== this.size
      ? new ShaleError(
          'ERR_SIZE_MISMATCH',
          `blob ${this.digest} is ${this.written} bytes, expected ${this.size}`,
        )
      : new ShaleError(
          'ERR_DIGEST_MISMATCH',
          `blob content hashes to ${actual}, expected ${this.digest}`,
        );
  }

  /**
   * Verify, then move the blob into the store, dated now (bytes an earlier process gathered are
   * then as new as the write that commits them, which a prune running meanwhile spares).
   */
  async commit(): Promise<IngestResult> {
    await this.verify();
    await this.handle.chmod(BLOB_MODE);
    const now = new Date();
    await this.handle.utimes(now, now);
    const final = this.target.blobPath(this.digest);
    await mkdir(path.dirname(final), { recursive: true });
    const existed = await stat(final).then(
      () => true,
      () => false,
    );
    await rename(this.file, final);
    await syncDirectory(path.dirname(final));
    return { digest: this.digest, size: this.size, existed };
  }

  /** Delete the partial bytes (they cannot become this blob). */
  async discard(): Promise<void> {
    await rm(this.file, { force: true });
  }

  /** Let go of the lock and the file; the bytes stay for a later attempt unless committed. */
  async close(): Promise<void> {
    await this.handle.close().catch(() => undefined);
    await this.unlock().catch(() => undefined);
  }
}
