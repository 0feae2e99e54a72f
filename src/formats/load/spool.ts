/**
 * Spooling an image archive (a tar stream, any compression) into the store in one pass: entries
 * arrive in any order, so every regular file becomes a blob in the content store as it streams
 * past (never held in memory), `blobs/<alg>/<hex>` files verified against their names on the way.
 * Symlinks and hard links are remembered so that the names manifest.json or index.json give can
 * be resolved later, inside the archive. Blobs the load ends up not using are removed again.
 */
import type { Readable } from 'node:stream';
import { autoDecompress, type DecompressOptions } from '../../archive/compression/index.ts';
import {
  readTar,
  TypeFlag,
  utf8ToByteString,
  byteStringToDisplay,
  type ByteString,
} from '../../archive/tar/index.ts';
import { isDigest, type Digest } from '../../core/digest.ts';
import { isShaleError, ShaleError } from '../../core/errors.ts';
import type { Additions, Store } from '../../store/index.ts';
import { normalizeEntryName, resolveInScope } from './archive-paths.ts';

/** More entries than any image archive needs; beyond it the archive is refused. */
export const MAX_ARCHIVE_ENTRIES = 100_000;

const REGULAR = new Set<string>([TypeFlag.regular, TypeFlag.regularOld, TypeFlag.contiguous]);

export interface SpooledFile {
  digest: Digest;
  size: number;
}

export interface SpoolOptions {
  /** Decompression-bomb guard for the archive stream (default: the decompression defaults). */
  limits?: DecompressOptions;
  signal?: AbortSignal;
}

export class SpooledArchive {
  private readonly files = new Map<ByteString, SpooledFile>();
  private readonly symlinks = new Map<ByteString, ByteString>();
  private readonly fresh = new Set<Digest>();
  private readonly kept = new Set<Digest>();

  /** Record a regular file (a later entry of the same name replaces an earlier one). */
  addFile(name: ByteString, file: SpooledFile, added: boolean): void {
    this.symlinks.delete(name);
    this.files.set(name, file);
    if (added) this.fresh.add(file.digest);
  }

  addSymlink(name: ByteString, target: ByteString): void {
    this.files.delete(name);
    this.symlinks.set(name, target);
  }

  /** A hard link is the file it links to, as that file was when the link was written. */
  addHardLink(name: ByteString, target: ByteString): void {
    const file = this.files.get(target);
    if (file) this.addFile(name, file, false);
    else this.forget(name);
  }

  forget(name: ByteString): void {
    this.files.delete(name);
    this.symlinks.delete(name);
  }

  /** Canonical names of the regular files. */
  fileNames(): ByteString[] {
    return [...this.files.keys()];
  }

  /** True when `name` (UTF-8, as JSON gives it) reaches a regular file. */
  has(name: string): boolean {
    return this.files.has(this.resolve(name));
  }

  /** The regular file `name` reaches; `namedBy` says who asked for it (for the error message). */
  find(name: string, namedBy: string): SpooledFile {
    const file = this.files.get(this.resolve(name));
    if (!file) {
      throw new ShaleError(
        'ERR_NOT_FOUND',
        `${namedBy} names ${JSON.stringify(name)}, which the archive does not contain`,
      );
    }
    return file;
  }

  /** Like `find`, for a file that stays in the store as part of a loaded image. */
  take(name: string, namedBy: string): SpooledFile {
    const file = this.find(name, namedBy);
    this.kept.add(file.digest);
    return file;
  }

  private resolve(name: string): ByteString {
    return resolveInScope(utf8ToByteString(name), (canonical) => this.symlinks.get(canonical));
  }

  /** Remove the blobs this spool added that no loaded image keeps. */
  async discardUnused(store: Store): Promise<void> {
    for (const digest of this.fresh)
      if (!this.kept.has(digest)) await store.layers.removeBlob(digest);
  }
}

/** The digest a `blobs/<alg>/<hex>` entry promises, if its name is one. */
function promisedDigest(name: ByteString): Digest | undefined {
  const match = /^blobs\/([a-z0-9]+)\/([a-f0-9]+)$/.exec(name);
  const text = match && `${match[1]}:${match[2]}`;
  return text && isDigest(text) ? text : undefined;
}

async function spoolFile(
  store: Store,
  name: ByteString,
  body: AsyncIterable<Buffer>,
  signal?: AbortSignal,
): Promise<{ digest: Digest; size: number; existed: boolean }> {
  const promised = promisedDigest(name);
  try {
    return await store.content.ingest(body, promised && { digest: promised }, signal);
  } catch (err) {
    if (isShaleError(err, 'ERR_DIGEST_MISMATCH')) {
      throw new ShaleError(
        'ERR_DIGEST_MISMATCH',
        `archive entry ${byteStringToDisplay(name)} is not the blob its name says: ${err.message}`,
      );
    }
    throw err;
  }
}

/** Read the whole archive, spooling its files into the store (new blobs go to `added`). */
export async function spoolArchive(
  store: Store,
  source: Readable | AsyncIterable<Uint8Array>,
  added: Additions,
  options: SpoolOptions = {},
): Promise<SpooledArchive> {
  const spool = new SpooledArchive();
  const { stream } = await autoDecompress(source, options.limits);
  let count = 0;
  try {
    for await (const { header, body } of readTar(stream)) {
      options.signal?.throwIfAborted();
      if (++count > MAX_ARCHIVE_ENTRIES) {
        throw new ShaleError(
          'ERR_LIMIT',
          `the archive has more than ${MAX_ARCHIVE_ENTRIES} entries: not an image archive`,
        );
      }
      const name = normalizeEntryName(header.name);
      if (REGULAR.has(header.typeflag)) {
        const { existed, ...file } = await spoolFile(store, name, body, options.signal);
        if (!existed) added.blobs.push(file.digest);
        spool.addFile(name, file, !existed);
      } else if (header.typeflag === TypeFlag.symlink) {
        spool.addSymlink(name, header.linkname);
      } else if (header.typeflag === TypeFlag.hardLink) {
        spool.addHardLink(name, normalizeEntryName(header.linkname));
      } else {
        spool.forget(name);
      }
    }
  } finally {
    stream.destroy();
  }
  return spool;
}
