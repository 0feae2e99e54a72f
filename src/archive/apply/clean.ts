/**
 * Entry-name cleaning on byte strings: split into segments, drop `.` and empty parts, strip a
 * leading `/`, apply `..` lexically, and refuse (ERR_BAD_TAR) any `..` that would climb above the root.
 */
import { ShaleError } from '../../core/errors.ts';
import { byteStringToDisplay, type ByteString } from '../tar/index.ts';

/** The segments of `name` relative to the layer root; `[]` means the root itself. */
export function cleanSegments(name: ByteString, what = 'entry name'): ByteString[] {
  if (name.includes('\0')) {
    throw new ShaleError('ERR_BAD_TAR', `${what} ${display(name)} contains a NUL byte`);
  }
  const out: ByteString[] = [];
  for (const seg of name.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length === 0) {
        throw new ShaleError(
          'ERR_BAD_TAR',
          `${what} ${display(name)} climbs above the layer root; refusing the layer`,
        );
      }
      out.pop();
      continue;
    }
    out.push(seg);
  }
  return out;
}

/** A path (segments) for messages: UTF-8 where possible. */
export function display(name: ByteString | readonly ByteString[]): string {
  const text = typeof name === 'string' ? name : name.join('/');
  return JSON.stringify(byteStringToDisplay(text));
}
