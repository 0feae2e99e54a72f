/**
 * In-scope path resolution (Docker's FollowSymlinkInScope, done by hand with lstat because Node has
 * no openat2/chroot): parent components that are symlinks are followed with their targets rooted
 * at the layer root and `..` clamped there, so a resolved path can never leave the root.
 */
import { chmodSync, mkdirSync, readlinkSync } from 'node:fs';
import { ShaleError } from '../../core/errors.ts';
import { toByteString, type ByteString } from '../tar/index.ts';
import { display } from './clean.ts';
import { joinPath, lstatOrNull } from './fs-path.ts';

/** Most symlinks followed while resolving one path (Linux's MAXSYMLINKS is 40; Docker uses 255). */
export const MAX_SYMLINK_HOPS = 255;

/**
 * The real directory (segments from the root, no symlinks left) that `segs` names. Missing
 * components are created (mode 0755) when `create` is set, otherwise the result is null. A
 * component that exists and is neither a directory nor a symlink is ERR_BAD_TAR.
 */
export function resolveDirInScope(
  root: Buffer,
  segs: readonly ByteString[],
  create: boolean,
  onCreate?: (real: ByteString[]) => void,
): ByteString[] | null {
  const resolved: ByteString[] = [];
  const stack = segs.slice().reverse();
  let hops = 0;
  while (stack.length > 0) {
    const seg = stack.pop()!;
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      resolved.pop(); // clamped at the root
      continue;
    }
    resolved.push(seg);
    const p = joinPath(root, resolved);
    const st = lstatOrNull(p);
    if (st === null) {
      if (!create) return null;
      mkdirSync(p, { mode: 0o755 });
      chmodSync(p, 0o755);
      onCreate?.(resolved.slice());
      continue;
    }
    if (st.isDirectory()) continue;
    if (st.isSymbolicLink()) {
      if (++hops > MAX_SYMLINK_HOPS) {
        throw new ShaleError(
          'ERR_BAD_TAR',
          `too many levels of symbolic links resolving ${display(segs)} inside the layer root`,
        );
      }
      const target = toByteString(readlinkSync(p, { encoding: 'buffer' }));
      resolved.pop();
      if (target.startsWith('/')) resolved.length = 0; // absolute targets are rooted at the root
      const parts = target.split('/');
      for (let i = parts.length - 1; i >= 0; i--) stack.push(parts[i]!);
      continue;
    }
    throw new ShaleError(
      'ERR_BAD_TAR',
      `${display(resolved)} is not a directory but the layer puts ${display(segs)} inside it`,
    );
  }
  return resolved;
}
