/**
 * Packing a directory tree into a tar stream, the way Docker's archive package lays one out
 * (spec §7.2): lexical order per directory, relative names without `./`, directories with a
 * trailing `/`, numeric owners and empty owner names, whole-second mtimes, hard links after the
 * first path of an inode as type `1`. Names are bytes: non-UTF-8 file names survive.
 */
import { createReadStream, lstatSync, readdirSync, readlinkSync, type BigIntStats } from 'node:fs';
import type { Readable } from 'node:stream';
import { ShaleError } from '../core/errors.ts';
import { TypeFlag, type TarHeaderInit } from './tar/header.ts';
import { TarWriter } from './tar/writer.ts';

export interface PackOptions {
  /** Use this mtime (seconds) for every entry instead of the files' own: reproducible layers. */
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

function typeOf(st: BigIntStats, display: string): string {
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

interface WalkItem {
  /** Path on disk. */
  path: Buffer;
  /** Name inside the archive (no leading `./`). */
  name: Buffer;
  stats: BigIntStats;
}

/** Depth-first walk in byte order, each directory before its children. */
function* walk(dir: Buffer, prefix: Buffer): Generator<WalkItem> {
  const names = readdirSync(dir, { encoding: 'buffer' }).sort((a, b) => Buffer.compare(a, b));
  for (const base of names) {
    const path = Buffer.concat([dir, SLASH, base]);
    const name = Buffer.concat([prefix, base]);
    const stats = lstatSync(path, { bigint: true });
    yield { path, name, stats };
    if (stats.isDirectory()) yield* walk(path, Buffer.concat([name, SLASH]));
  }
}

function headerFor(
  item: WalkItem,
  options: PackOptions,
  links: Map<string, string>,
): TarHeaderInit {
  const { stats } = item;
  const display = item.path.toString();
  let typeflag = typeOf(stats, display);
  let name = item.name.toString('latin1');
  let linkname = '';
  let size = 0;
  let devmajor = 0;
  let devminor = 0;
  if (typeflag === TypeFlag.directory) name += '/';
  if (typeflag === TypeFlag.symlink)
    linkname = readlinkSync(item.path, { encoding: 'buffer' }).toString('latin1');
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
    uid: options.uid ?? Number(stats.uid),
    gid: options.gid ?? Number(stats.gid),
    mtime: options.mtime ?? Number(stats.mtimeNs / 1_000_000_000n),
    devmajor,
    devminor,
  };
}

/** Stream the tree under `root` (not including `root` itself) as an uncompressed tar. */
export function packDirectory(root: string, options: PackOptions = {}): Readable {
  const writer = new TarWriter();
  const rootBytes = Buffer.from(root);
  const links = new Map<string, string>();
  void (async () => {
    try {
      for (const item of walk(rootBytes, Buffer.alloc(0))) {
        const header = headerFor(item, options, links);
        const body = header.size
          ? createReadStream(item.path, { highWaterMark: 1 << 20 })
          : undefined;
        await writer.add(header, body);
      }
      await writer.finish();
    } catch (err) {
      writer.stream.destroy(err instanceof Error ? err : new Error(String(err)));
    }
  })();
  return writer.stream;
}
