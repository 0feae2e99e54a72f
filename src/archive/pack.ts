/**
 * Packing a directory tree into a tar stream, the way Docker's archive package lays one out
 * (spec §7.2): lexical order per directory, relative names without `./`, directories with a
 * trailing `/`, numeric owners and empty owner names, whole-second mtimes, hard links after the
 * first path of an inode as type `1`. Names are bytes: non-UTF-8 file names survive.
 */
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { headerFromStats, walkTree, type EntryOverrides } from './fs-entry.ts';
import { TarWriter } from './tar/writer.ts';

export { deviceNumbers } from './fs-entry.ts';

export type PackOptions = EntryOverrides;

/** Stream the tree under `root` (not including `root` itself) as an uncompressed tar. */
export function packDirectory(root: string, options: PackOptions = {}): Readable {
  const writer = new TarWriter();
  const rootBytes = Buffer.from(root);
  const links = new Map<string, string>();
  void (async () => {
    try {
      for (const item of walkTree(rootBytes)) {
        const header = headerFromStats(item, options, links);
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
