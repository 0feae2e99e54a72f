/**
 * Spooling an image archive (a tar stream, any compression) in one pass: entries arrive in any
 * order, so every regular file is written, hashed, into the load's scratch directory as it
 * streams past (never held in memory), `blobs/<alg>/<hex>` files verified against their names on
 * the way. Symlinks and hard links are remembered so that the names manifest.json or index.json
 * give can be resolved later, inside the archive. Only the files a loaded image keeps (`take`)
 * move into the store; the rest go with the scratch directory, so loads of one archive running at
 * once never see each other's staging.
 */
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { autoDecompress, type DecompressOptions } from '../../archive/compression/index.ts';
import {
  readTar,
  TypeFlag,
  utf8ToByteString,
  byteStringToDisplay,
  type ByteString,
} from '../../archive/tar/index.ts';
import { isDigest, parseDigest, type Digest } from '../../core/digest.ts';
import { isShaleError, ShaleError } from '../../core/errors.ts';
import { adoptBlob, ingestBlob, type ImageWrite } from '../../store/index.ts';
import { normalizeEntryName, resolveInScope } from './archive-paths.ts';

/** More entries than any image archive needs; beyond it the archive is refused. */
export const MAX_ARCHIVE_ENTRIES = 100_000;

const REGULAR = new Set<string>([TypeFlag.regular, TypeFlag.regularOld, TypeFlag.contiguous]);

export interface SpooledFile {
  digest: Digest;
  size: number;
  /** Where its bytes wait in the scratch directory. */
  path: string;
}

export interface SpoolOptions {
  /** Decompression-bomb guard for the archive stream (default: the decompression defaults). */
  limits?: DecompressOptions;
  signal?: AbortSignal;
}

export class SpooledArchive {
  private readonly files = new Map<ByteString, SpooledFile>();
  private readonly symlinks = new Map<ByteString, ByteString>();
  /** Files already moved into the store. */
  private readonly taken = new Set<Digest>();

  constructor(private readonly write: ImageWrite) {}

  /** Record a regular file (a later entry of the same name replaces an earlier one). */
  addFile(name: ByteString, file: SpooledFile): void {
    this.symlinks.delete(name);
    this.files.set(name, file);
  }

  addSymlink(name: ByteString, target: ByteString): void {
    this.files.delete(name);
    this.symlinks.set(name, target);
  }

  /** A hard link is the file it links to, as that file was when the link was written. */
  addHardLink(name: ByteString, target: ByteString): void {
    const file = this.files.get(target);
    if (file) this.addFile(name, file);
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

  /** The bytes of the file `name` reaches (small files: JSON), at most `maxBytes`. */
  async read(name: string, namedBy: string, maxBytes = 4 << 20): Promise<Buffer> {
    const file = this.find(name, namedBy);
    if (file.size > maxBytes) {
      throw new ShaleError(
        'ERR_LIMIT',
        `${namedBy}: ${JSON.stringify(name)} is ${file.size} bytes, more than the ${maxBytes} accepted`,
      );
    }
    const taken = this.taken.has(file.digest);
    return readFile(taken ? this.write.store.content.blobPath(file.digest) : file.path);
  }

  /** Like `find`, for a file that stays in the store as part of a loaded image: it moves there. */
  async take(name: string, namedBy: string): Promise<SpooledFile> {
    const file = this.find(name, namedBy);
    if (!this.taken.has(file.digest)) {
      const stored = await adoptBlob(this.write.store.content, file.path, file);
      await this.write.noteBlob(file.digest, stored.existed);
      this.taken.add(file.digest);
    }
    return file;
  }

  private resolve(name: string): ByteString {
    return resolveInScope(utf8ToByteString(name), (canonical) => this.symlinks.get(canonical));
  }
}

/** The digest a `blobs/<alg>/<hex>` entry promises, if its name is one. */
function promisedDigest(name: ByteString): Digest | undefined {
  const match = /^blobs\/([a-z0-9]+)\/([a-f0-9]+)$/.exec(name);
  const text = match && `${match[1]}:${match[2]}`;
  return text && isDigest(text) ? text : undefined;
}

/** Where spooled files wait: the load's scratch directory. */
interface SpoolTarget {
  ingestDir: string;
  blobPath(digest: Digest): string;
}

async function spoolFile(
  target: SpoolTarget,
  name: ByteString,
  body: AsyncIterable<Buffer>,
  signal?: AbortSignal,
): Promise<SpooledFile> {
  const promised = promisedDigest(name);
  try {
    // (the archive is read through the thread pool ahead of this thread; its writes need not be)
    const { digest, size } = await ingestBlob(target, body, promised && { digest: promised }, {
      signal,
      writeOnThisThread: true,
    });
    return { digest, size, path: target.blobPath(digest) };
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

/** Read the whole archive, spooling its files into a scratch directory of `write`. */
export async function spoolArchive(
  write: ImageWrite,
  source: Readable | AsyncIterable<Uint8Array>,
  options: SpoolOptions = {},
): Promise<SpooledArchive> {
  const scratch = await write.scratch('load');
  const filesDir = path.join(scratch.dir, 'files');
  await mkdir(filesDir);
  const target: SpoolTarget = {
    ingestDir: scratch.dir,
    blobPath: (digest) => {
      const { algorithm, hex } = parseDigest(digest);
      return path.join(filesDir, `${algorithm}-${hex}`);
    },
  };
  const spool = new SpooledArchive(write);
  const { stream } = await autoDecompress(source, options.limits);
  let count = 0;
  try {
    for await (const { header, body } of readTar(stream, { rawHeaders: false })) {
      options.signal?.throwIfAborted();
      if (++count > MAX_ARCHIVE_ENTRIES) {
        throw new ShaleError(
          'ERR_LIMIT',
          `the archive has more than ${MAX_ARCHIVE_ENTRIES} entries: not an image archive`,
        );
      }
      const name = normalizeEntryName(header.name);
      if (REGULAR.has(header.typeflag)) {
        spool.addFile(name, await spoolFile(target, name, body, options.signal));
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
