/**
 * The members of an image archive file (a tar, plain or compressed), for reading it as a copy
 * source without unpacking it: one pass over the tar records where each regular file's bytes
 * start and how many there are, and the archive's symlinks and hard links, so that the names
 * manifest.json or index.json give resolve inside the archive (archive-paths.ts). A member is then
 * read by seeking to its bytes; in a compressed archive, by decompressing again from the start
 * and skipping to them (so each member read costs a pass over what comes before it: ranges of a
 * member are only read in a plain archive).
 */
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { openFileRange, openReadStream } from '../../archive/open-read-stream.ts';
import { autoDecompress, type Compression } from '../../archive/compression/index.ts';
import { readTar, TypeFlag, utf8ToByteString, type ByteString } from '../../archive/tar/index.ts';
import { isShaleError, ShaleError } from '../../core/errors.ts';
import { normalizeEntryName, resolveInScope } from '../load/archive-paths.ts';
import { MAX_ARCHIVE_ENTRIES } from '../load/spool.ts';

const REGULAR = new Set<string>([TypeFlag.regular, TypeFlag.regularOld, TypeFlag.contiguous]);

/** Where a regular file's bytes are, in the (decompressed) tar stream. */
export interface ArchiveMember {
  offset: number;
  size: number;
}

export class ArchiveMembers {
  private constructor(
    private readonly file: string,
    private readonly compression: Compression,
    private readonly files: Map<ByteString, ArchiveMember>,
    private readonly symlinks: Map<ByteString, ByteString>,
  ) {}

  /** Index the archive at `file` in one pass; a truncated or malformed tar is refused here. */
  static async index(file: string, signal?: AbortSignal): Promise<ArchiveMembers> {
    const files = new Map<ByteString, ArchiveMember>();
    const symlinks = new Map<ByteString, ByteString>();
    const { compression, stream } = await autoDecompress(await openArchive(file));
    let count = 0;
    try {
      for await (const { header, location } of readTar(stream, { rawHeaders: false })) {
        signal?.throwIfAborted();
        if (++count > MAX_ARCHIVE_ENTRIES) {
          throw new ShaleError(
            'ERR_LIMIT',
            `${file} has more than ${MAX_ARCHIVE_ENTRIES} entries: not an image archive`,
          );
        }
        const name = normalizeEntryName(header.name);
        files.delete(name);
        symlinks.delete(name);
        if (REGULAR.has(header.typeflag)) {
          files.set(name, { offset: location.dataOffset, size: header.size });
        } else if (header.typeflag === TypeFlag.symlink) {
          symlinks.set(name, header.linkname);
        } else if (header.typeflag === TypeFlag.hardLink) {
          const target = files.get(normalizeEntryName(header.linkname));
          if (target) files.set(name, target);
        }
      }
    } catch (err) {
      throw asArchiveError(file, err);
    } finally {
      stream.destroy();
    }
    return new ArchiveMembers(file, compression, files, symlinks);
  }

  /** Whether a member's bytes can be read from anywhere in it without reading what comes before. */
  get seekable(): boolean {
    return this.compression === 'none';
  }

  /** True when `name` (UTF-8, as JSON gives it) reaches a regular file. */
  has(name: string): boolean {
    return this.files.has(this.#resolve(name));
  }

  /** The regular file `name` reaches; `namedBy` says who named it (for the message). */
  find(name: string, namedBy: string): ArchiveMember {
    const member = this.files.get(this.#resolve(name));
    if (member === undefined) {
      throw new ShaleError(
        'ERR_NOT_FOUND',
        `${this.file}: ${namedBy} names ${JSON.stringify(name)}, which the archive does not contain`,
      );
    }
    return member;
  }

  /** The whole of a small member (JSON), at most `maxBytes`. */
  async read(name: string, namedBy: string, maxBytes: number): Promise<Buffer> {
    const member = this.find(name, namedBy);
    if (member.size > maxBytes) {
      throw new ShaleError(
        'ERR_LIMIT',
        `${this.file}: ${JSON.stringify(name)} (${namedBy}) is ${member.size} bytes, more than the ${maxBytes} accepted`,
      );
    }
    const chunks: Buffer[] = [];
    for await (const chunk of await this.open(member)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  /** A stream of the member's bytes. */
  async open(member: ArchiveMember): Promise<Readable> {
    const { offset, size } = member;
    if (size === 0) return Readable.from([]);
    if (this.compression === 'none') {
      const handle = await open(this.file, 'r');
      return handle.createReadStream({
        start: offset,
        end: offset + size - 1,
        highWaterMark: 1 << 20,
      });
    }
    const { stream } = await autoDecompress(await openArchive(this.file));
    return Readable.from(sliceOf(stream, offset, size));
  }

  /** Bytes `start`…`end - 1` of the member, in a seekable archive. */
  openRange(member: ArchiveMember, start: number, end: number): Readable {
    if (!this.seekable || end > member.size) {
      throw new ShaleError(
        'ERR_INVALID_ARGUMENT',
        `${this.file}: bytes ${start}-${end - 1} of a member are not read in place`,
      );
    }
    return openFileRange(this.file, member.offset + start, member.offset + end);
  }

  #resolve(name: string): ByteString {
    return resolveInScope(utf8ToByteString(name), (canonical) => this.symlinks.get(canonical));
  }
}

async function openArchive(file: string): Promise<Readable> {
  return openReadStream(file).catch((err: unknown) => {
    const { code } = err as NodeJS.ErrnoException;
    if (code === 'ENOENT') throw new ShaleError('ERR_NOT_FOUND', `${file} does not exist`);
    if (code === 'EISDIR') {
      throw new ShaleError('ERR_INVALID_ARGUMENT', `${file} is a directory, not an archive file`);
    }
    throw err;
  });
}

/** Bytes `offset` up to `offset + size` of `stream`, which is destroyed after them. */
async function* sliceOf(stream: Readable, offset: number, size: number): AsyncGenerator<Buffer> {
  let position = 0;
  const end = offset + size;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const from = Math.max(offset - position, 0);
      const to = Math.min(end - position, chunk.length);
      position += chunk.length;
      if (to > from) yield chunk.subarray(from, to);
      if (position >= end) return;
    }
  } finally {
    stream.destroy();
  }
}

/** A tar error reading `file`, named as the archive's fault. */
function asArchiveError(file: string, err: unknown): unknown {
  if (isShaleError(err, 'ERR_BAD_TAR')) {
    return new ShaleError('ERR_BAD_TAR', `${file} is not a readable tar archive: ${err.message}`);
  }
  return err;
}
