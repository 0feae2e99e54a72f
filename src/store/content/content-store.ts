/**
 * The content store: immutable blobs named by their digest, in the store root's OCI layout.
 * Writes go through `ingestBlob` (verify, then rename); reads, existence checks, listing and
 * deletion work on the committed files only.
 */
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { parseDigest, digestOf, type Digest } from '../../core/digest.ts';
import { ShaleError } from '../../core/errors.ts';
import type { StoreLayout } from '../layout.ts';
import { ingestBlob, type Expected, type IngestResult } from './ingest.ts';
import { PartialBlob, type PartialOptions } from './partial.ts';

export class ContentStore {
  constructor(private readonly layout: StoreLayout) {}

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
    signal?: AbortSignal,
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
    return ingestBlob(this, source, expected, signal);
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

  /** Stream a stored blob. */
  open(digest: Digest): Readable {
    return createReadStream(this.blobPath(digest), { highWaterMark: 1 << 20 });
  }

  /** Read a small stored blob whole; refuses blobs over `maxBytes` (default 4 MiB). */
  async read(digest: Digest, maxBytes = 4 << 20): Promise<Buffer> {
    const size = await this.size(digest);
    if (size === undefined)
      throw new ShaleError('ERR_NOT_FOUND', `blob ${digest} is not in the store`);
    if (size > maxBytes)
      throw new ShaleError('ERR_LIMIT', `blob ${digest} is ${size} bytes, more than ${maxBytes}`);
    return readFile(this.blobPath(digest));
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
