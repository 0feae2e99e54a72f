/**
 * What an entry's failed system call means to the caller: the errors a hostile or malformed layer
 * can provoke (a name that is not a directory, one too long, a loop…) become ERR_BAD_TAR naming
 * the entry; anything else (no space, no permission, an I/O error) stays the system's error.
 */
import { ShaleError, isShaleError } from '../../core/errors.ts';
import { display } from './clean.ts';
import { errno } from './fs-path.ts';

const BAD_TAR_ERRNOS = new Set([
  'ENOTDIR',
  'EEXIST',
  'ELOOP',
  'EISDIR',
  'ENOTEMPTY',
  'EXDEV',
  'ENAMETOOLONG',
]);

/** `err`, thrown while applying the entry named `name`, as the applier reports it. */
export function entryError(err: unknown, name: string): unknown {
  if (isShaleError(err) || !BAD_TAR_ERRNOS.has(errno(err) ?? '')) return err;
  return new ShaleError(
    'ERR_BAD_TAR',
    `cannot apply entry ${display(name)}: ${(err as Error).message}`,
    { cause: err },
  );
}
