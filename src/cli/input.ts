/**
 * Opening a CLI file argument (`-` = standard input) as a byte stream, with shale's errors: the
 * file is checked and opened before any reading starts, so a failure is a rejection here.
 */
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { readFileChunks } from '../archive/index.ts';
import { openReadStream } from '../archive/index.ts';
import { ShaleError } from '../core/index.ts';

const CHUNK = 1 << 20;

async function checkRegularFile(file: string): Promise<void> {
  let isFile: boolean;
  try {
    isFile = (await stat(file)).isFile();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    throw new ShaleError('ERR_NOT_FOUND', `cannot open ${file}: no such file`);
  }
  if (!isFile)
    throw new ShaleError('ERR_INVALID_ARGUMENT', `cannot read ${file}: not a regular file`);
}

/** A stream of the input whose chunks stay valid (for consumers that hold on to them). */
export async function openInput(file: string): Promise<Readable> {
  if (file === '-') return process.stdin;
  await checkRegularFile(file);
  return openReadStream(file, CHUNK);
}

/** The input for a consumer that handles each chunk before asking for the next (reused buffers). */
export async function scanInput(file: string): Promise<AsyncIterable<Buffer>> {
  if (file === '-') return process.stdin;
  await checkRegularFile(file);
  return readFileChunks(file, CHUNK); // opens on the first read: a rejection the reader awaits
}
