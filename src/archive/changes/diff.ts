/**
 * ChangesDirs (spec §7.3): walk the new and old trees side by side in byte order and list what
 * was added, changed or deleted; a name with the same inode on both sides is skipped unvisited.
 */
import { lstatSync, statSync } from 'node:fs';
import { ShaleError } from '../../core/errors.ts';
import { childPath, sortedNames } from '../fs-entry.ts';
import type { ByteString } from '../tar/bytes.ts';
import {
  capabilityReader,
  sameCapability,
  type CapabilityReader,
  type CapabilitySource,
} from './capability.ts';
import { statDifferent } from './stat-compare.ts';
import { sortChanges, type Change } from './types.ts';

interface Walk {
  out: Change[];
  newCaps: CapabilityReader;
  oldCaps: CapabilityReader;
}

function requireDir(dir: string): Buffer {
  const bytes = Buffer.from(dir);
  if (!statSync(bytes).isDirectory()) {
    throw new ShaleError('ERR_INVALID_ARGUMENT', `${dir} is not a directory`);
  }
  return bytes;
}

/** `A` for `path` and, when it is a directory, everything below it. */
function addAll(out: Change[], abs: Buffer, path: ByteString): void {
  out.push({ path, kind: 'A' });
  if (!lstatSync(abs).isDirectory()) return;
  for (const name of sortedNames(abs)) {
    addAll(out, childPath(abs, name), `${path}/${name.toString('latin1')}`);
  }
}

/** Compare the children of `newAbs` with those of `oldAbs` (null: old side is not a directory). */
function compareDir(walk: Walk, newAbs: Buffer, oldAbs: Buffer | null, prefix: ByteString): void {
  const newNames = sortedNames(newAbs);
  const oldNames = oldAbs === null ? [] : sortedNames(oldAbs);
  let i = 0;
  let j = 0;
  while (i < newNames.length || j < oldNames.length) {
    const n = newNames[i];
    const o = oldNames[j];
    const order = n === undefined ? 1 : o === undefined ? -1 : Buffer.compare(n, o);
    if (order < 0 && n !== undefined) {
      i++;
      addAll(walk.out, childPath(newAbs, n), `${prefix}/${n.toString('latin1')}`);
      continue;
    }
    if (order > 0 && o !== undefined) {
      j++;
      walk.out.push({ path: `${prefix}/${o.toString('latin1')}`, kind: 'D' });
      continue;
    }
    i++;
    j++;
    if (n === undefined || oldAbs === null) continue; // unreachable: both sides have the name
    const newPath = childPath(newAbs, n);
    const oldPath = childPath(oldAbs, n);
    const newStat = lstatSync(newPath, { bigint: true });
    const oldStat = lstatSync(oldPath, { bigint: true });
    // Shared by hard link (snapshot drivers): identical by definition, and so is everything below.
    if (newStat.dev === oldStat.dev && newStat.ino === oldStat.ino) continue;
    const path = `${prefix}/${n.toString('latin1')}`;
    const changed =
      statDifferent(oldStat, newStat) ||
      !sameCapability(walk.oldCaps(path, oldPath), walk.newCaps(path, newPath));
    const mark = walk.out.length;
    if (changed) walk.out.push({ path, kind: 'C' });
    if (!newStat.isDirectory()) continue;
    compareDir(walk, newPath, oldStat.isDirectory() ? oldPath : null, path);
    // A directory with changes below it is reported too (its metadata must travel with them).
    if (!changed && walk.out.length > mark) walk.out.push({ path, kind: 'C' });
  }
}

/** Implementation of {@link changes}, with the capability source selectable for tests. */
export function changesWith(
  newDir: string,
  oldDir: string | undefined,
  source: CapabilitySource,
): Change[] {
  const newRoot = requireDir(newDir);
  const out: Change[] = [];
  if (oldDir === undefined) {
    for (const name of sortedNames(newRoot)) {
      addAll(out, childPath(newRoot, name), `/${name.toString('latin1')}`);
    }
    return sortChanges(out);
  }
  const oldRoot = requireDir(oldDir);
  compareDir(
    {
      out,
      newCaps: capabilityReader(newRoot, source),
      oldCaps: capabilityReader(oldRoot, source),
    },
    newRoot,
    oldRoot,
    '',
  );
  return sortChanges(out);
}

/**
 * What changed from `oldDir` (default: an empty directory) to `newDir`, sorted by path bytes.
 * Only metadata is compared: same size, mtime, mode, owner and capability means unchanged.
 */
export function changes(newDir: string, oldDir?: string): Change[] {
  return changesWith(newDir, oldDir, 'auto');
}
