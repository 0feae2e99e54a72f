/**
 * Writing one blob: stream into a private temp file in the ingest area while hashing, enforce the
 * expected size as bytes arrive, fsync (written back as it grows: writeback.ts), verify digest and
 * size, then rename into `blobs/` (or drop the temp file when the blob is already there). Every
 * byte counted was written (write-fully.ts) and the file's length is checked before the rename,
 * so a short write cannot store a blob that does not hash to its name. A reader never sees a
 * partial blob, and a failed write leaves nothing behind; a full, read-only or foreign-owned
 * store fails in the store's words (disk-errors.ts).
 */
import { createHash } from 'node:crypto';
import { access, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { digestOf, parseDigest, type Digest, type DigestAlgorithm } from '../../core/digest.ts';
import { ShaleError } from '../../core/errors.ts';
import { storeWriteFailure, type Writing } from '../disk-errors.ts';
import { checkFileLength, writeFully, writeFullySync } from '../write-fully.ts';
import { ownedTempPath } from '../temp-names.ts';
import { Writeback } from './writeback.ts';

export interface Expected {
  digest?: Digest;
  size?: number;
}

export interface IngestOptions {
  signal?: AbortSignal;
  /**
   * Write each chunk on this thread, blocking it for the write, instead of through the thread
   * pool: for a source made on other threads, when this one has nothing to do while a chunk is
   * written, a hand-off to the pool and back per chunk costs more than the write (a reassembled
   * layer: 12% of `migrate`'s time). Either way a chunk is written before the next is asked for.
   */
  writeOnThisThread?: boolean;
}

export interface IngestResult {
  digest: Digest;
  size: number;
  /** The blob was already stored before this write (so undoing the write must keep it). */
  existed: boolean;
}

export interface IngestTarget {
  ingestDir: string;
  /** Final path of a blob with this digest. */
  blobPath(digest: Digest): string;
}

/** Stored blobs are read-only. */
export const BLOB_MODE = 0o444;

export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Rename into place; true when a blob was already there. */
async function moveIntoPlace(temp: string, final: string): Promise<boolean> {
  const existed = await access(final).then(
    () => true,
    () => false,
  );
  // rename() replaces an existing blob atomically; same digest means same bytes, so a racing
  // writer of the same content is harmless.
  await rename(temp, final);
  await syncDirectory(path.dirname(final));
  return existed;
}

function checkSize(size: number, expected: Expected): void {
  if (expected.size !== undefined && size > expected.size) {
    throw new ShaleError(
      'ERR_SIZE_MISMATCH',
      `content is larger than the expected ${expected.size} bytes`,
    );
  }
}

/** Words for a failed write: what it was writing, and how much of it was still to come. */
function writing(expected: Expected, written?: number): Writing {
  const what = expected.digest ? `blob ${expected.digest}` : 'a blob';
  const known = expected.size !== undefined && written !== undefined;
  return { what, ...(known && { neededBytes: expected.size! - written }) };
}

async function copyHashing(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  file: { handle: FileHandle; path: string },
  algorithm: DigestAlgorithm,
  expected: Expected,
  options: IngestOptions,
): Promise<Omit<IngestResult, 'existed'>> {
  const hash = createHash(algorithm);
  const writeback = new Writeback(file.handle);
  let size = 0;
  const write = async (chunk: Uint8Array, at: number) => {
    try {
      if (options.writeOnThisThread) writeFullySync(file.handle, chunk);
      else await writeFully(file.handle, [chunk]);
    } catch (err) {
      throw storeWriteFailure(err, file.path, writing(expected, at));
    }
  };
  for await (const chunk of source) {
    options.signal?.throwIfAborted();
    checkSize(size + chunk.length, expected);
    hash.update(chunk);
    await write(chunk, size);
    size += chunk.length;
    writeback.wrote(chunk.length);
  }
  try {
    await writeback.sync();
  } catch (err) {
    throw storeWriteFailure(err, file.path, writing(expected));
  }
  await checkFileLength(file.handle, size, writing(expected).what);
  return { digest: digestOf(algorithm, hash.digest('hex')), size };
}

function verify(result: Omit<IngestResult, 'existed'>, expected: Expected): void {
  if (expected.size !== undefined && result.size !== expected.size) {
    throw new ShaleError(
      'ERR_SIZE_MISMATCH',
      `content is ${result.size} bytes, expected ${expected.size}`,
    );
  }
  if (expected.digest !== undefined && result.digest !== expected.digest) {
    throw new ShaleError(
      'ERR_DIGEST_MISMATCH',
      `content hashes to ${result.digest}, expected ${expected.digest}`,
    );
  }
}

/** Stream `source` into the store as one verified blob. */
export async function ingestBlob(
  target: IngestTarget,
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  expected: Expected = {},
  options: IngestOptions = {},
): Promise<IngestResult> {
  const algorithm = expected.digest ? parseDigest(expected.digest).algorithm : 'sha256';
  const temp = ownedTempPath(path.join(target.ingestDir, 'blob'));
  const handle = await open(temp, 'wx', BLOB_MODE).catch((err: unknown) => {
    throw storeWriteFailure(err, target.ingestDir, writing(expected));
  });
  let committed = false;
  try {
    const result = await copyHashing(source, { handle, path: temp }, algorithm, expected, options);
    await handle.close();
    verify(result, expected);
    const existed = await moveIntoPlace(temp, target.blobPath(result.digest)).catch(
      (err: unknown) => {
        throw storeWriteFailure(err, temp, writing(expected));
      },
    );
    committed = true;
    return { ...result, existed };
  } finally {
    if (!committed) {
      await handle.close().catch(() => undefined);
      await unlink(temp).catch(() => undefined);
    }
  }
}
