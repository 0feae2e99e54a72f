/** Opening a CLI file argument (`-` = standard input) as a byte stream, with shale's errors. */
import { createReadStream, statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { readFileChunks } from '../archive/file-chunks.ts';
import { ShaleError } from '../core/errors.ts';

const CHUNK = 1 << 20;

function checkRegularFile(file: string): void {
  let isFile: boolean;
  try {
    isFile = statSync(file).isFile();
  } catch {
    throw new ShaleError('ERR_NOT_FOUND', `cannot open ${file}: no such file`);
  }
  if (!isFile)
    throw new ShaleError('ERR_INVALID_ARGUMENT', `cannot read ${file}: not a regular file`);
}

/** A stream of the input whose chunks stay valid (for consumers that hold on to them). */
export function openInput(file: string): Readable {
  if (file === '-') return process.stdin;
  checkRegularFile(file);
  return createReadStream(file, { highWaterMark: CHUNK });
}

/** The input for a consumer that handles each chunk before asking for the next (reused buffers). */
export function scanInput(file: string): AsyncIterable<Buffer> {
  if (file === '-') return process.stdin;
  checkRegularFile(file);
  return readFileChunks(file, CHUNK);
}
