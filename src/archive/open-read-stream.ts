/**
 * Opening a file as a byte stream with the open done first: a missing or unreadable file is a
 * rejection of this call, where `createReadStream(path)` would report it later as an `'error'`
 * event that nobody may be listening to yet (an uncaught exception). `withReadStream` also closes
 * it when its user is done, read to the end or not (a user that failed before reading leaves no
 * handle for the garbage collector to close, with a warning). `openFileRange` is the exception,
 * for a reader already listening: a range of a file, opened as it is read.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';

export async function openReadStream(file: string, highWaterMark = 1 << 20): Promise<Readable> {
  const handle = await open(file, 'r');
  return handle.createReadStream({ highWaterMark });
}

/**
 * Bytes `start`…`end - 1` of `file` (what a resumable chunked upload reads of a blob); a file that
 * cannot be opened is the stream's `'error'`, for its reader to report.
 */
export function openFileRange(file: string, start: number, end: number): Readable {
  return createReadStream(file, { highWaterMark: 1 << 20, start, end: end - 1 });
}

/** `use` of the file opened as openReadStream opens it; the file is closed when `use` settles. */
export async function withReadStream<T>(
  file: string,
  use: (stream: Readable) => Promise<T>,
  highWaterMark?: number,
): Promise<T> {
  const stream = await openReadStream(file, highWaterMark);
  try {
    return await use(stream);
  } finally {
    stream.destroy();
  }
}
