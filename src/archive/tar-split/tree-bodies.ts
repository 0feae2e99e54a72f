/**
 * File bodies for reassembly read from a directory tree (a graph driver's layer directory), by
 * tar name: the name is cleaned (no climbing above the root), every directory on the way must be
 * a real directory (a symlink there could lead out of the tree) and the file a regular file,
 * opened without following a symlink (and told apart from a device or FIFO when it does not read
 * as recorded). A layer is mostly small files, so the system calls are
 * made directly (synchronously): a call through the thread pool costs more than the read itself.
 * A body is read straight into the assembler's output, its descriptor closed by the assembler.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync } from 'node:fs';
import { ShaleError } from '../../core/errors.ts';
import { cleanSegments } from '../apply/clean.ts';
import { byteStringToBuffer, byteStringToDisplay, type ByteString } from '../tar/bytes.ts';
import type { BodyOpener, BodyReader } from './assemble.ts';

function notThere(root: string, name: ByteString, why: string): ShaleError {
  return new ShaleError(
    'ERR_NOT_FOUND',
    `tar-split: ${JSON.stringify(byteStringToDisplay(name))} under ${root}: ${why}`,
  );
}

/**
 * The file `file` (not followed if a symlink; opened without waiting if a FIFO), read as it is
 * when read: a read past its end gives 0 (the assembler checks the length). That it is a regular
 * file is looked at only when reading it fails or gives other bytes than recorded (a directory
 * cannot be read; what a device or FIFO gives never matches a size and CRC-64 for long): one
 * system call less per body.
 */
function openRegular(file: Buffer, fail: (why: string) => ShaleError): BodyReader {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw fail(code === 'ELOOP' ? 'a symbolic link' : String(code));
  }
  const vet = () => {
    if (!fstatSync(fd).isFile()) throw fail('not a regular file');
  };
  return {
    read: (target, offset, length, position) => {
      try {
        return readSync(fd, target, offset, length, position);
      } catch (err) {
        vet();
        throw fail(String((err as NodeJS.ErrnoException).code ?? err));
      }
    },
    vet,
    close: () => closeSync(fd),
  };
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
    return openRegular(full(segments.join('/')), fail);
  };
}
