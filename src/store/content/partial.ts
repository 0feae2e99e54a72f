/**
 * Resumable blob writes (downloads): the bytes of one expected blob accumulate in
 * `ingest/partial-<alg>-<hex>` across attempts and processes until they verify, then the file is
 * renamed into `blobs/`. One writer per blob at a time, across processes: a lock file beside the
 * partial names its holder's PID and is taken over as soon as that process is gone (so a killed
 * pull is resumed at once). Nothing under `blobs/` changes before `commit`.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import {
  mkdir,
  open,
  readFile,
  rename,
  rm,
  stat,
  writeFile,
  type FileHandle,
} from 'node:fs/promises';
import path from 'node:path';
import { digestOf, parseDigest, type Digest } from '../../core/digest.ts';
import { ShaleError } from '../../core/errors.ts';
import { processAlive } from '../leases.ts';
import { BLOB_MODE, syncDirectory, type IngestResult, type IngestTarget } from './ingest.ts';
import { Writeback } from './writeback.ts';

export interface PartialOptions {
  signal?: AbortSignal;
  /**
   * Called with every byte of the blob in order, the bytes already on disk first (for consumers
   * such as a DiffID computation that must see the whole blob). Awaited: it may apply backpressure.
   */
  onBytes?: (chunk: Uint8Array) => Promise<void> | void;
}

const LOCK_POLL_MS = 100;

async function sizeOf(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
}

/**
 * Take the lock `<file>.lock`, waiting (without limit, abortable) while a live process holds it.
 * Resolves to the release function.
 */
async function lockExclusively(file: string, signal?: AbortSignal): Promise<() => Promise<void>> {
  const lock = `${file}.lock`;
  const release = () => rm(lock, { force: true });
  for (;;) {
    signal?.throwIfAborted();
    try {
      await writeFile(lock, String(process.pid), { flag: 'wx' });
      return release;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = Number(await readFile(lock, 'utf8').catch(() => ''));
    if (Number.isInteger(holder) && holder > 0 && !processAlive(holder)) {
      await rm(lock, { force: true }); // its holder died: whoever removes it first retries first
      continue;
    }
    await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
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
    const unlock = await lockExclusively(file, options.signal);
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
    this.written += chunk.length;
    if (this.written > this.size) {
      throw new ShaleError(
        'ERR_SIZE_MISMATCH',
        `blob ${this.digest} is larger than the expected ${this.size} bytes`,
      );
    }
    this.hash.update(chunk);
    await this.options.onBytes?.(chunk);
  }

  /**
   * Append the next bytes of the blob (what follows `offset`). Chunks are gathered into batches
   * written while the next batch arrives; whatever was received is written even when the source
   * fails, so `offset` stays true for a resumption.
   */
  async append(source: AsyncIterable<Uint8Array>): Promise<void> {
    let batch: Uint8Array[] = [];
    let batched = 0;
    let writing: Promise<unknown> = Promise.resolve();
    const flush = async (): Promise<void> => {
      await writing;
      if (batch.length === 0) return;
      writing = this.handle.writev(batch);
      writing.catch(() => undefined); // awaited by the next flush
      this.writeback.wrote(batched);
      batch = [];
      batched = 0;
    };
    try {
      for await (const chunk of source) {
        await this.consume(chunk);
        batch.push(chunk);
        batched += chunk.length;
        if (batched >= WRITE_BATCH_BYTES) await flush();
      }
    } finally {
      await flush();
      await writing;
    }
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
    const { algorithm } = parseDigest(this.digest);
    const actual =
      this.written === this.size ? digestOf(algorithm, this.hash.copy().digest('hex')) : undefined;
    if (actual === this.digest) {
      await this.writeback.sync();
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

  /** Verify, then move the blob into the store. */
  async commit(): Promise<IngestResult> {
    await this.verify();
    await this.handle.chmod(BLOB_MODE);
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
