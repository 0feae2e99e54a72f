/**
 * ChangesDirs (spec §7.3): walk the new tree and the old side together in byte order and list
 * what was added, changed or deleted. The old side is a directory (a name with the same inode on
 * both sides is then skipped unvisited) or a tree record of how the new tree was when it was
 * written. A name that shares its inode with an added or changed one is reported changed too, so
 * that the export keeps them one inode (hard-link groups, as Docker's overlay2 layers do).
 */
import { lstatSync, statSync, type BigIntStats } from 'node:fs';
import { ShaleError } from '../../core/errors.ts';
import { childPath, sortedNames } from '../fs-entry.ts';
import type { ByteString } from '../tar/bytes.ts';
import {
  capabilityReader,
  sameCapability,
  type CapabilityReader,
  type CapabilitySource,
} from './capability.ts';
import { HardLinkGroups } from './link-groups.ts';
import { isDirectoryMode, statDifferent, type MetaStat } from './stat-compare.ts';
import { TreeRecordReader } from './tree-record.ts';
import { sortChanges, type Change } from './types.ts';

/** One name on the old side, in the walk. */
interface OldNode {
  name: ByteString;
  stat(): MetaStat;
  capability(): Buffer | undefined;
  /** Whether `st` is this very inode (snapshots share inodes by hard link). */
  isInode(st: BigIntStats): boolean;
  /** The children, in name order; only asked of a directory, before the walk moves on. */
  children(): Iterator<OldNode>;
}

interface Walk {
  out: Change[];
  newCaps: CapabilityReader;
  links: HardLinkGroups;
}

function requireDir(dir: string): Buffer {
  const bytes = Buffer.from(dir);
  if (!statSync(bytes).isDirectory()) {
    throw new ShaleError('ERR_INVALID_ARGUMENT', `${dir} is not a directory`);
  }
  return bytes;
}

/** The children of the directory `abs` (reached as `prefix`) of an old tree on disk. */
function* directoryChildren(
  abs: Buffer,
  prefix: ByteString,
  caps: CapabilityReader,
): Generator<OldNode> {
  for (const base of sortedNames(abs)) {
    const name = base.toString('latin1');
    const path = childPath(abs, base);
    let st: BigIntStats | undefined;
    const stat = () => (st ??= lstatSync(path, { bigint: true }));
    yield {
      name,
      stat,
      capability: () => caps(`${prefix}/${name}`, path),
      isInode: (other: BigIntStats) => stat().dev === other.dev && stat().ino === other.ino,
      children: () => directoryChildren(path, `${prefix}/${name}`, caps),
    };
  }
}

/** The children of `prefix` in a tree record (what is left of a visited child's subtree skipped). */
function* recordChildren(reader: TreeRecordReader, prefix: ByteString): Generator<OldNode> {
  const under = `${prefix}/`;
  for (;;) {
    let entry = reader.peek();
    while (entry?.path.startsWith(under) && entry.path.includes('/', under.length)) {
      reader.next();
      entry = reader.peek();
    }
    if (!entry?.path.startsWith(under)) return;
    reader.next();
    const { path, stat, capability } = entry;
    yield {
      name: path.slice(under.length),
      stat: () => stat,
      capability: () => capability,
      isInode: () => false,
      children: () => recordChildren(reader, path),
    };
  }
}

const NO_CHILDREN: Iterator<OldNode> = [][Symbol.iterator]();

/** `A` for `path` and, when it is a directory, everything below it. */
function addAll(walk: Walk, abs: Buffer, path: ByteString): void {
  walk.out.push({ path, kind: 'A' });
  const st = lstatSync(abs, { bigint: true });
  if (!st.isDirectory()) return walk.links.note(st, path, true);
  for (const name of sortedNames(abs)) {
    addAll(walk, childPath(abs, name), `${path}/${name.toString('latin1')}`);
  }
}

/** Compare the children of `newAbs` with the old side's, both in byte order. */
function compareDir(walk: Walk, newAbs: Buffer, old: Iterator<OldNode>, prefix: ByteString): void {
  const newNames = sortedNames(newAbs);
  let i = 0;
  let o = old.next();
  while (i < newNames.length || !o.done) {
    const n = newNames[i]?.toString('latin1');
    if (n !== undefined && (o.done || n < o.value.name)) {
      addAll(walk, childPath(newAbs, newNames[i]!), `${prefix}/${n}`);
      i++;
    } else if (!o.done && (n === undefined || o.value.name < n)) {
      walk.out.push({ path: `${prefix}/${o.value.name}`, kind: 'D' });
      o = old.next();
    } else if (!o.done) {
      compareEntry(walk, childPath(newAbs, newNames[i]!), o.value, `${prefix}/${o.value.name}`);
      i++;
      o = old.next();
    }
  }
}

function compareEntry(walk: Walk, newPath: Buffer, old: OldNode, path: ByteString): void {
  const newStat = lstatSync(newPath, { bigint: true });
  // Shared by hard link (snapshot drivers): identical by definition, and so is everything below.
  if (old.isInode(newStat)) return;
  const oldStat = old.stat();
  const changed =
    statDifferent(oldStat, newStat) ||
    !sameCapability(old.capability(), walk.newCaps(path, newPath));
  const mark = walk.out.length;
  if (changed) walk.out.push({ path, kind: 'C' });
  if (!newStat.isDirectory()) return walk.links.note(newStat, path, changed);
  compareDir(walk, newPath, isDirectoryMode(oldStat.mode) ? old.children() : NO_CHILDREN, path);
  // A directory with changes below it is reported too (its metadata must travel with them).
  if (!changed && walk.out.length > mark) walk.out.push({ path, kind: 'C' });
}

function walkAgainst(newRoot: Buffer, old: Iterator<OldNode>, source: CapabilitySource): Change[] {
  const walk: Walk = {
    out: [],
    newCaps: capabilityReader(newRoot, source),
    links: new HardLinkGroups(),
  };
  compareDir(walk, newRoot, old, '');
  walk.links.addCopiedUp(walk.out);
  return sortChanges(walk.out);
}

/** Implementation of {@link changes}, with the capability source selectable for tests. */
export function changesWith(
  newDir: string,
  oldDir: string | undefined,
  source: CapabilitySource,
): Change[] {
  const newRoot = requireDir(newDir);
  if (oldDir === undefined) return walkAgainst(newRoot, NO_CHILDREN, source);
  const oldRoot = requireDir(oldDir);
  return walkAgainst(
    newRoot,
    directoryChildren(oldRoot, '', capabilityReader(oldRoot, source)),
    source,
  );
}

/**
 * What changed from `oldDir` (default: an empty directory) to `newDir`, sorted by path bytes.
 * Only metadata is compared: same size, mtime, mode, owner and capability means unchanged.
 */
export function changes(newDir: string, oldDir?: string): Change[] {
  return changesWith(newDir, oldDir, 'auto');
}

/** Implementation of {@link changesSinceRecord}, with the capability source selectable. */
export function changesSinceRecordWith(
  dir: string,
  recordFile: string,
  source: CapabilitySource,
): Change[] {
  const root = requireDir(dir);
  const reader = new TreeRecordReader(recordFile);
  try {
    return walkAgainst(root, recordChildren(reader, ''), source);
  } finally {
    reader.close();
  }
}

/**
 * What changed in `dir` since its tree record (writeTreeRecord) was written: the same answer
 * as `changes(dir, copyOfTheTreeThen)`, reading only `dir` and the record.
 */
export function changesSinceRecord(dir: string, recordFile: string): Change[] {
  return changesSinceRecordWith(dir, recordFile, 'auto');
}
