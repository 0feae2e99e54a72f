/**
 * File bodies for reassembly read from a directory tree (a graph driver's layer directory), by
 * tar name: the name is cleaned (no climbing above the root), every directory on the way must be
 * a real directory (a symlink there could lead out of the tree) and the file a regular file,
 * opened without following a symlink. A layer is mostly small files, so the system calls are
 * made directly (synchronously): a call through the thread pool costs more than the read itself.
 * A body is read in chunks of at most a megabyte as it is iterated, its descriptor closed at its
 * end (or when the reassembly stops early).
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync } from 'node:fs';
import { ShaleError } from '../../core/errors.ts';
import { cleanSegments } from '../apply/clean.ts';
import { byteStringToBuffer, byteStringToDisplay, type ByteString } from '../tar/bytes.ts';
import type { BodyOpener } from './reassemble.ts';

const CHUNK_BYTES = 1 << 20;

function notThere(root: string, name: ByteString, why: string): ShaleError {
  return new ShaleError(
    'ERR_NOT_FOUND',
    `tar-split: ${JSON.stringify(byteStringToDisplay(name))} under ${root}: ${why}`,
  );
}

/**
 * The bytes of the regular file `file` (not followed if a symlink) as it is when first read, in
 * fresh chunks; it ends early if the file shrank meanwhile (the reassembler checks the length).
 */
function* readRegular(file: Buffer, fail: (why: string) => ShaleError): Generator<Buffer> {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw fail(code === 'ELOOP' ? 'a symbolic link' : String(code));
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw fail('not a regular file');
    for (let position = 0; position < st.size;) {
      const chunk = Buffer.allocUnsafe(Math.min(st.size - position, CHUNK_BYTES));
      const read = readSync(fd, chunk, 0, chunk.length, position);
      if (read === 0) return;
      position += read;
      yield chunk.subarray(0, read);
    }
  } finally {
    closeSync(fd);
  }
}

/** A BodyOpener reading the bodies from the tree at `root`. */
export function treeBodies(root: string): BodyOpener {
  const realDirs = new Set<ByteString>(['']);
  const rootBytes = Buffer.from(root);
  const full = (rel: ByteString) => Buffer.concat([rootBytes, byteStringToBuffer(`/${rel}`)]);
  return (name) => {
    const fail = (why: string) => notThere(root, name, why);
    const segments = cleanSegments(name, 'tar-split file name');
    if (segments.length === 0) throw fail('names the root');
    let dir = '';
    for (const segment of segments.slice(0, -1)) {
      const next = dir === '' ? segment : `${dir}/${segment}`;
      if (!realDirs.has(next)) {
        if (!lstatSync(full(next), { throwIfNoEntry: false })?.isDirectory())
          throw fail(`${next} is not a directory`);
        realDirs.add(next);
      }
      dir = next;
    }
    return readRegular(full(segments.join('/')), fail);
  };
}
