/**
 * The layer tar of a driver directory that holds only what the layer changed (spec §6, §7.2), as
 * Docker's drivers export one: aufs `diff/<id>` as it is (its `.wh.` files are already the tar's
 * whiteouts) without the top-level `.wh..wh.*` metadata (`.wh..wh.aufs`, `.wh..wh.orph`, the
 * `.wh..wh.plnk` hard-link stash; hard links into the stash are kept as ordinary hard links);
 * overlay `upper/` with each 0/0 character device turned into a `.wh.<name>` whiteout and each
 * directory marked `trusted.overlay.opaque=y` followed by a `.wh..wh..opq` marker. Headers as
 * packDirectory writes them, with the `security.capability` xattr.
 */
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { readXattrs } from '../../archive/apply/xattr.ts';
import { capabilityReader, CAPABILITY_XATTR } from '../../archive/changes/capability.ts';
import { headerFromStats, walkTree, type FsEntry } from '../../archive/fs-entry.ts';
import { TypeFlag, type TarHeaderInit } from '../../archive/tar/header.ts';
import { TarWriter } from '../../archive/tar/writer.ts';

const META_PREFIX = '.wh..wh.';
const OPAQUE_MARKER = '.wh..wh..opq';
const OPAQUE_XATTR = 'trusted.overlay.opaque';

/** aufs metadata at the layer root, left out of the export (Docker ≥ 1.4). */
function isAufsMeta(name: string): boolean {
  const top = name.split('/', 1)[0]!;
  return top.startsWith(META_PREFIX) && top !== OPAQUE_MARKER;
}

function isOverlayWhiteout(entry: FsEntry): boolean {
  return entry.stats.isCharacterDevice() && entry.stats.rdev === 0n;
}

function withBase(name: string, base: string): string {
  const slash = name.lastIndexOf('/');
  return `${name.slice(0, slash + 1)}${base}`;
}

/** The tar of the changes-only layer directory `dir`, uncompressed. */
export function packDiffDir(dir: string, whiteouts: 'aufs' | 'overlay'): Readable {
  const writer = new TarWriter();
  const links = new Map<string, string>();
  const caps = capabilityReader(Buffer.from(dir));
  void (async () => {
    try {
      for (const entry of walkTree(Buffer.from(dir))) {
        const name = entry.name.toString('latin1');
        if (whiteouts === 'aufs' && isAufsMeta(name)) continue;
        const header: TarHeaderInit = headerFromStats(entry, {}, links);
        if (whiteouts === 'overlay' && isOverlayWhiteout(entry)) {
          const base = name.slice(name.lastIndexOf('/') + 1);
          await writer.add({
            ...header,
            name: withBase(name, `.wh.${base}`),
            typeflag: TypeFlag.regular,
            mode: 0o600,
            devmajor: 0,
            devminor: 0,
          });
          continue;
        }
        const capability = caps(`/${name}`, entry.path);
        if (capability !== undefined) header.xattrs = new Map([[CAPABILITY_XATTR, capability]]);
        const body = header.size
          ? createReadStream(entry.path, { highWaterMark: 1 << 20 })
          : undefined;
        await writer.add(header, body);
        if (whiteouts === 'overlay' && entry.stats.isDirectory()) {
          const opaque = (await readXattrs(entry.path)).get(OPAQUE_XATTR);
          if (opaque?.toString('latin1') === 'y') {
            await writer.add({
              name: `${name}/${OPAQUE_MARKER}`,
              typeflag: TypeFlag.regular,
              mode: Number(entry.stats.mode & 0o777n),
              uid: header.uid,
              gid: header.gid,
              mtime: header.mtime,
              size: 0,
            });
          }
        }
      }
      await writer.finish();
    } catch (err) {
      writer.stream.destroy(err instanceof Error ? err : new Error(String(err)));
    }
  })();
  return writer.stream;
}
