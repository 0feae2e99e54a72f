/**
 * Mapping a change path onto a directory: only clean `/`-prefixed paths are accepted, so a change
 * list can never make exportChanges or changesSize read outside the directory.
 */
import { ShaleError } from '../../core/errors.ts';
import type { ByteString } from '../tar/bytes.ts';

/** The components of a change path; throws ERR_INVALID_ARGUMENT unless it is clean. */
export function changePathParts(path: ByteString): ByteString[] {
  const parts = path.split('/').slice(1);
  if (
    !path.startsWith('/') ||
    path.includes('\0') ||
    parts.some((p) => p === '' || p === '.' || p === '..')
  ) {
    throw new ShaleError(
      'ERR_INVALID_ARGUMENT',
      `change path ${JSON.stringify(path)} must be a clean absolute-style path such as /etc/passwd`,
    );
  }
  return parts;
}

/** `dir + path` as bytes, after checking the path. */
export function pathInDir(dir: string, path: ByteString): Buffer {
  changePathParts(path);
  return Buffer.concat([Buffer.from(dir), Buffer.from(path, 'latin1')]);
}
