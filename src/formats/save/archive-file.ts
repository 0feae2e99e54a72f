/**
 * An archive file being written (`save -o FILE`, a copy to `oci-archive:`/`docker-archive:`): the
 * destination is checked before any work, the bytes go to a temporary file beside it, synced,
 * and renamed onto it only when complete, so the path shows either what it held before or the
 * whole new archive; a failure removes the temporary file.
 */
import { randomBytes } from 'node:crypto';
import type { Stats, WriteStream } from 'node:fs';
import { open, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import { ShaleError } from '../../core/errors.ts';

/** What `file` is, or undefined when it does not exist (or a part of its path is a file). */
async function statOrAbsent(file: string): Promise<Stats | undefined> {
  try {
    return await stat(file);
  } catch (err) {
    const { code } = err as NodeJS.ErrnoException;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}

/**
 * Refuse, before any work, a destination an archive cannot replace — a directory, device, FIFO
 * or socket (renaming onto it would replace the node itself) — or whose directory is missing.
 * `action` and `hint` shape the message: `cannot ${action} FILE: … (hint)`.
 */
export async function checkArchiveDestination(
  file: string,
  action = 'write an archive to',
  hint?: string,
): Promise<void> {
  const existing = await statOrAbsent(file);
  if (existing && !existing.isFile()) {
    throw new ShaleError(
      'ERR_INVALID_ARGUMENT',
      `cannot ${action} ${file}: it exists and is not a regular file${hint ? ` (${hint})` : ''}`,
    );
  }
  const dir = path.dirname(file);
  const parent = await statOrAbsent(dir);
  if (!parent) {
    throw new ShaleError(
      'ERR_NOT_FOUND',
      `cannot ${action} ${file}: directory ${dir} does not exist`,
    );
  }
  if (!parent.isDirectory()) {
    throw new ShaleError(
      'ERR_INVALID_ARGUMENT',
      `cannot ${action} ${file}: ${dir} is not a directory`,
    );
  }
}

/** The temporary file behind a destination; `publish` or `discard` ends it. */
export class PendingArchiveFile {
  private constructor(
    readonly file: string,
    private readonly temp: string,
    /** Where the archive's bytes go; synced before it closes. */
    readonly stream: WriteStream,
  ) {}

  /** A new temporary file beside `file` (check the destination first). */
  static async open(file: string): Promise<PendingArchiveFile> {
    const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
    const handle = await open(temp, 'wx', 0o644);
    return new PendingArchiveFile(file, temp, handle.createWriteStream({ flush: true }));
  }

  /** End the stream (if its writer has not) and put the archive in place of `file`. */
  async publish(): Promise<void> {
    if (!this.stream.writableEnded) this.stream.end();
    await finished(this.stream);
    await rename(this.temp, this.file);
  }

  /** Remove what was written; the destination is left as it was. */
  async discard(): Promise<void> {
    this.stream.destroy();
    await finished(this.stream).catch(() => undefined);
    await unlink(this.temp).catch(() => undefined);
  }
}
