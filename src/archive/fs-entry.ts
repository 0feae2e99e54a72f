/**
 * One file on disk as a tar entry (spec §7.2): the header from lstat, hard-link detection by
 * inode, and the byte-ordered directory walk. Shared by packDirectory and exportChanges.
 */
import { lstatSync, readdirSync, readlinkSync, type BigIntStats } from 'node:fs';
import { ShaleError } from '../core/errors.ts';
import { TypeFlag, type TarHeaderInit } from './tar/header.ts';

/** Replacements for the files' own metadata: reproducible layers. */
export interface EntryOverrides {
  /** Use this mtime (seconds) for every entry instead of the files' own. */
  mtime?: number;
  /** Record these owners instead of the files' own. */
  uid?: number;
  gid?: number;
}

const SLASH = Buffer.from('/');

/** Linux `dev_t` → major/minor (glibc's encoding). */
export function deviceNumbers(rdev: bigint): { major: number; minor: number } {
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
  return { major: Number(major), minor: Number(minor) };
}

/** The tar typeflag for a file type; sockets cannot be stored (ERR_UNSUPPORTED). */
export function typeFlagOf(st: BigIntStats, display: string): string {
  if (st.isFile()) return TypeFlag.regular;
  if (st.isDirectory()) return TypeFlag.directory;
  if (st.isSymbolicLink()) return TypeFlag.symlink;
  if (st.isFIFO()) return TypeFlag.fifo;
  if (st.isCharacterDevice()) return TypeFlag.charDevice;
  if (st.isBlockDevice()) return TypeFlag.blockDevice;
  throw new ShaleError(
    'ERR_UNSUPPORTED',
    `cannot pack ${display}: sockets cannot be stored in a tar archive`,
  );
}

/** `dir/base` as bytes. */
export function childPath(dir: Buffer, base: Buffer): Buffer {
  return Buffer.concat([dir, SLASH, base]);
}

/** The names in `dir`, as bytes, in byte order. */
export function sortedNames(dir: Buffer): Buffer[] {
  return readdirSync(dir, { encoding: 'buffer' }).sort((a, b) => Buffer.compare(a, b));
}

export interface FsEntry {
  /** Path on disk. */
  path: Buffer;
  /** Name inside the archive (no leading `./`, no trailing `/`). */
  name: Buffer;
  stats: BigIntStats;
}

/** Depth-first walk in byte order, each directory before its children. */
export function* walkTree(dir: Buffer, prefix: Buffer = Buffer.alloc(0)): Generator<FsEntry> {
  for (const base of sortedNames(dir)) {
    const path = childPath(dir, base);
    const name = Buffer.concat([prefix, base]);
    const stats = lstatSync(path, { bigint: true });
    yield { path, name, stats };
    if (stats.isDirectory()) yield* walkTree(path, Buffer.concat([name, SLASH]));
  }
}

/**
 * The tar header for `entry`. `links` maps `dev:ino` to the first archive name of a regular file
 * with more than one link; later paths of that inode become type `1` entries pointing at it.
 */
export function headerFromStats(
  entry: FsEntry,
  overrides: EntryOverrides,
  links: Map<string, string>,
): TarHeaderInit {
  const { stats } = entry;
  const display = entry.path.toString();
  let typeflag = typeFlagOf(stats, display);
  let name = entry.name.toString('latin1');
  let linkname = '';
  let size = 0;
  let devmajor = 0;
  let devminor = 0;
  if (typeflag === TypeFlag.directory) name += '/';
  if (typeflag === TypeFlag.symlink)
    linkname = readlinkSync(entry.path, { encoding: 'buffer' }).toString('latin1');
  if (typeflag === TypeFlag.charDevice || typeflag === TypeFlag.blockDevice) {
    ({ major: devmajor, minor: devminor } = deviceNumbers(stats.rdev));
  }
  if (typeflag === TypeFlag.regular) {
    const inode = `${stats.dev}:${stats.ino}`;
    const first = stats.nlink > 1n ? links.get(inode) : undefined;
    if (first !== undefined) {
      typeflag = TypeFlag.hardLink;
      linkname = first;
    } else {
      if (stats.nlink > 1n) links.set(inode, name);
      size = Number(stats.size);
    }
  }
  return {
    name,
    typeflag,
    linkname,
    size,
    mode: Number(stats.mode & 0o7777n),
    uid: overrides.uid ?? Number(stats.uid),
    gid: overrides.gid ?? Number(stats.gid),
    mtime: overrides.mtime ?? Number(stats.mtimeNs / 1_000_000_000n),
    devmajor,
    devminor,
  };
}
