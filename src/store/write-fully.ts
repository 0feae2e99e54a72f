/**
 * Writing every byte of some buffers to a file, and checking that the file holds what was counted.
 * One `write`/`writev` may write fewer bytes than asked — libuv returns what it wrote before an
 * error such as ENOSPC and drops the error — so the rest is written until it is all there or the
 * file system refuses with an error. A write that ignored this would leave a gap in the file.
 * Writes go through the thread pool, or, for a writer with nothing else to do meanwhile, are
 * made on its own thread.
 */
import { writeSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { ShaleError } from '../core/errors.ts';

/** `chunks` without their first `bytes` bytes. */
function after(chunks: readonly Uint8Array[], bytes: number): Uint8Array[] {
  const rest: Uint8Array[] = [];
  let skip = bytes;
  for (const chunk of chunks) {
    if (skip >= chunk.length) {
      skip -= chunk.length;
      continue;
    }
    rest.push(skip > 0 ? chunk.subarray(skip) : chunk);
    skip = 0;
  }
  return rest;
}

/** Write all of `chunks`, in order, at the file's position (its end when opened to append). */
export async function writeFully(handle: FileHandle, chunks: readonly Uint8Array[]): Promise<void> {
  let rest = after(chunks, 0);
  while (rest.length > 0) {
    const { bytesWritten } = await handle.writev(rest);
    if (!(bytesWritten > 0)) {
      throw new ShaleError('ERR_IO', 'the file system accepted none of the bytes of a write');
    }
    rest = after(rest, bytesWritten);
  }
}

/** writeFully, on this thread: the write blocks it, with no trip through the thread pool. */
export function writeFullySync(handle: FileHandle, chunk: Uint8Array): void {
  for (let at = 0; at < chunk.length;) {
    const written = writeSync(handle.fd, chunk, at, chunk.length - at);
    if (!(written > 0)) {
      throw new ShaleError('ERR_IO', 'the file system accepted none of the bytes of a write');
    }
    at += written;
  }
}

/** Fail unless the file holds exactly the `counted` bytes its writer wrote (fstat). */
export async function checkFileLength(
  handle: FileHandle,
  counted: number,
  what: string,
): Promise<void> {
  const { size } = await handle.stat();
  if (size !== counted) {
    throw new ShaleError(
      'ERR_IO',
      `${what}: the file holds ${size} bytes but ${counted} were written; nothing was stored — try again`,
    );
  }
}
