/**
 * Opening a file as a byte stream with the open done first: a missing or unreadable file is a
 * rejection of this call, where `createReadStream(path)` would report it later as an `'error'`
 * event that nobody may be listening to yet (an uncaught exception).
 */
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';

export async function openReadStream(file: string, highWaterMark = 1 << 20): Promise<Readable> {
  const handle = await open(file, 'r');
  return handle.createReadStream({ highWaterMark });
}
