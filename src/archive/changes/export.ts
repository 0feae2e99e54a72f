/**
 * ExportChanges (spec §7.4): a tar of the changed and added files of `dir`, with a `.wh.<base>`
 * whiteout for each deleted path, in path-byte order, uncompressed.
 */
import { createReadStream, lstatSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { headerFromStats } from '../fs-entry.ts';
import { TypeFlag, type TarHeaderInit } from '../tar/header.ts';
import { TarWriter } from '../tar/writer.ts';
import { capabilityReader, CAPABILITY_XATTR } from './capability.ts';
import { changePathParts, pathInDir } from './paths.ts';
import { sortChanges, type Change } from './types.ts';

export const WHITEOUT_PREFIX = '.wh.';

export interface ExportOptions {
  /** Seconds: the mtime of every entry, whiteouts included (default: the files' own; now). */
  mtime?: number;
}

/** Upstream's whiteout: a typeflag-NUL zero-size file, mode 0, root-owned, stamped now. */
function whiteoutHeader(path: string, mtime: number): TarHeaderInit {
  const parts = changePathParts(path);
  const base = parts.pop() ?? '';
  return {
    name: [...parts, WHITEOUT_PREFIX + base].join('/'),
    typeflag: TypeFlag.regularOld,
    mode: 0,
    uid: 0,
    gid: 0,
    size: 0,
    mtime,
  };
}

/**
 * Stream `changes` (as made by `changes(dir, parent)`) as a layer tar. Entry headers follow
 * packDirectory (§7.2) plus the `security.capability` xattr; hard links are detected across the
 * whole export. Sockets fail the stream with ERR_UNSUPPORTED, as in packDirectory.
 */
export function exportChanges(
  dir: string,
  changes: readonly Change[],
  options: ExportOptions = {},
): Readable {
  const writer = new TarWriter();
  const sorted = sortChanges(changes);
  const links = new Map<string, string>();
  const caps = capabilityReader(Buffer.from(dir));
  const whiteoutTime = options.mtime ?? Math.floor(Date.now() / 1000);
  void (async () => {
    try {
      for (const change of sorted) {
        if (change.kind === 'D') {
          await writer.add(whiteoutHeader(change.path, whiteoutTime));
          continue;
        }
        const path = pathInDir(dir, change.path);
        const stats = lstatSync(path, { bigint: true });
        const name = Buffer.from(change.path.slice(1), 'latin1');
        const header = headerFromStats({ path, name, stats }, options, links);
        const capability = caps(change.path, path);
        if (capability !== undefined) header.xattrs = new Map([[CAPABILITY_XATTR, capability]]);
        const body = header.size ? createReadStream(path, { highWaterMark: 1 << 20 }) : undefined;
        await writer.add(header, body);
      }
      await writer.finish();
    } catch (err) {
      writer.stream.destroy(err instanceof Error ? err : new Error(String(err)));
    }
  })();
  return writer.stream;
}
