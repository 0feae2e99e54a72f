/**
 * The content store: immutable blobs named by their digest, in the store root's OCI layout.
 * Writes go through `ingestBlob` (verify, then rename); reads, existence checks, listing and
 * deletion work on the committed files only. Reads verify: a blob whose bytes do not hash to its
 * name fails the read and goes to quarantine (quarantine.ts), after which it is not `has()`.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import { parseDigest, digestOf, type Digest } from '../../core/digest.ts';
import { ShaleError } from '../../core/errors.ts';
import type { StoreLayout } from '../layout.ts';
import { ingestBlob, type Expected, type IngestOptions, type IngestResult } from './ingest.ts';
import { PartialBlob, type PartialOptions } from './partial.ts';
import {
  damagedBlobError,
  Quarantine,
  quarantinedBlobError,
  type QuarantinedBlob,
} from './quarantine.ts';
import { VerifiedBlobStream } from './verified-read.ts';

export class ContentStore {
  private readonly quarantineArea: Quarantine;

  constructor(private readonly layout: StoreLayout) {
    this.quarantineArea = new Quarantine(layout);
  }

  /** Where the blob with this digest lives (whether or not it exists). */
  blobPath(digest: Digest): string {
    const { algorithm, hex } = parseDigest(digest);
    return path.join(this.layout.blobsDir, algorithm, hex);
  }

  get ingestDir(): string {
    return this.layout.ingestDir;
  }

  /** Size of a stored blob, or undefined when absent. */
  async size(digest: Digest): Promise<number | undefined> {
    try {
      return (await stat(this.blobPath(digest))).size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async has(digest: Digest): Promise<boolean> {
    return (await this.size(digest)) !== undefined;
  }

  /** Store the bytes of `source` as a blob, verified against `expected` when given. */
  async ingest(
    source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    expected?: Expected,
    options?: IngestOptions,
  ): Promise<IngestResult> {
    await mkdir(
      path.join(
        this.layout.blobsDir,
        expected?.digest ? parseDigest(expected.digest).algorithm : 'sha256',
      ),
      {
        recursive: true,
      },
    );
    return ingestBlob(this, source, expected, options);
  }

  /** Start or resume a resumable write of one expected blob (see PartialBlob). */
  async openPartial(
    expected: { digest: Digest; size: number },
    options?: PartialOptions,
  ): Promise<PartialBlob> {
    return PartialBlob.open(this, expected, options);
  }

  /** Store a small in-memory blob (configs, manifests). */
  async put(bytes: Uint8Array, expected?: Expected): Promise<IngestResult> {
    return this.ingest([bytes], expected);
  }

  /**
   * Stream a stored blob, verified as it goes: a blob whose bytes do not match its name fails the
   * stream at its end (ERR_DIGEST_MISMATCH) and is quarantined. A consumer that may stop before
   * the end awaits `verified()` before trusting what it read (see `readThrough`).
   */
  open(digest: Digest): VerifiedBlobStream {
    return new VerifiedBlobStream(this.blobPath(digest), digest, (actual) =>
      this.damaged(digest, actual),
    );
  }

  /**
   * `use` a verifying read of a stored blob; resolves only once the whole blob was checked. When
   * `use` fails (a decoder or tar reader choking on the bytes) the rest of the blob is checked:
   * damage found there is the error, not the decoder's complaint. An aborted read is not checked.
   */
  async readThrough<T>(
    digest: Digest,
    use: (blob: VerifiedBlobStream) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    const blob = this.open(digest);
    let result: T;
    try {
      result = await use(blob);
    } catch (err) {
      throw signal?.aborted ? err : await blob.explain(err);
    }
    await blob.verified();
    return result;
  }

  /** The size of a stored blob; a clear error when it is missing or in quarantine. */
  async requireStored(digest: Digest): Promise<number> {
    const size = await this.size(digest);
    if (size !== undefined) return size;
    if (await this.quarantineArea.holds(digest)) throw quarantinedBlobError(digest);
    throw new ShaleError(
      'ERR_NOT_FOUND',
      `blob ${digest} is not in the store (pull or load its image again, or run 'shale fsck --repair')`,
    );
  }

  /** Hash the whole stored blob against its name (quarantined and ERR_DIGEST_MISMATCH if not). */
  async verifyWhole(digest: Digest): Promise<void> {
    await this.readThrough(digest, async (blob) => {
      blob.resume();
      await finished(blob);
    });
  }

  /** Read a small stored blob whole, verified; refuses blobs over `maxBytes` (default 4 MiB). */
  async read(digest: Digest, maxBytes = 4 << 20): Promise<Buffer> {
    const size = await this.requireStored(digest);
    if (size > maxBytes)
      throw new ShaleError('ERR_LIMIT', `blob ${digest} is ${size} bytes, more than ${maxBytes}`);
    const bytes = await readFile(this.blobPath(digest));
    const { algorithm } = parseDigest(digest);
    const actual = digestOf(algorithm, createHash(algorithm).update(bytes).digest('hex'));
    if (actual !== digest) throw await this.damaged(digest, actual);
    return bytes;
  }

  /** Quarantine a blob found to hash to `actual`; the error its reader raises. */
  private async damaged(digest: Digest, actual: Digest): Promise<ShaleError> {
    await this.quarantine(digest, `content hashes to ${actual}`);
    return damagedBlobError(digest, actual);
  }

  /**
   * Move a blob known to be bad out of `blobs/` into `shale/quarantine/` (kept, with `reason`):
   * it no longer counts as stored, so the next pull or load that needs it fetches it again.
   */
  async quarantine(digest: Digest, reason: string): Promise<void> {
    await this.quarantineArea.add(digest, this.blobPath(digest), reason);
  }

  /** The blobs in quarantine, with why each was put there. */
  async quarantined(): Promise<QuarantinedBlob[]> {
    return this.quarantineArea.list();
  }

  /** Remove a blob; false when it was not there. */
  async delete(digest: Digest): Promise<boolean> {
    try {
      await unlink(this.blobPath(digest));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }

  /** Every stored blob's digest. */
  async *list(): AsyncGenerator<Digest> {
    for (const algorithm of ['sha256', 'sha512'] as const) {
      let names: string[];
      try {
        names = await readdir(path.join(this.layout.blobsDir, algorithm));
      } catch {
        continue;
      }
      for (const hex of names.sort()) {
        try {
          yield digestOf(algorithm, hex);
        } catch {
          // Not a blob name (someone else's file): not ours to list.
        }
      }
    }
  }
}
