/** Opening a CLI file argument (`-` = standard input) as a byte stream, with shale's errors. */
import { createReadStream, statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { ShaleError } from '../core/errors.ts';

const CHUNK = 1 << 20;

export function openInput(file: string): Readable {
  if (file === '-') return process.stdin;
  let isFile: boolean;
  try {
    isFile = statSync(file).isFile();
  } catch {
    throw new ShaleError('ERR_NOT_FOUND', `cannot open ${file}: no such file`);
  }
  if (!isFile)
    throw new ShaleError('ERR_INVALID_ARGUMENT', `cannot read ${file}: not a regular file`);
  return createReadStream(file, { highWaterMark: CHUNK });
}
