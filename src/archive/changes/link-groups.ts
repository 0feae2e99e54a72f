/**
 * Hard-link groups in a compared tree. A name added or changed must travel in the layer with
 * every other name of its inode, or the layer would split the inode in two: `ln lower/file new`
 * in a working tree leaves `lower/file` unchanged by the §7.3 test, yet the new image must have
 * both names on one inode. Docker's overlay2 layer holds the same: the target copied up (a file
 * entry) and the new name (a hard-link entry to it). So a name that shares its inode with an
 * added or changed one is reported changed (`C`), with `C` for its parent directories.
 */
import type { BigIntStats } from 'node:fs';
import type { ByteString } from '../tar/bytes.ts';
import type { Change } from './types.ts';

interface Group {
  exported: boolean;
  unchanged: ByteString[];
}

export class HardLinkGroups {
  private readonly groups = new Map<string, Group>();

  /** Note a non-directory of the new tree and whether it is already in the change list. */
  note(st: BigIntStats, path: ByteString, exported: boolean): void {
    if (st.nlink < 2n || !st.isFile()) return; // the export links regular files only
    const key = `${st.dev}:${st.ino}`;
    let group = this.groups.get(key);
    if (!group) this.groups.set(key, (group = { exported: false, unchanged: [] }));
    if (exported) group.exported = true;
    else group.unchanged.push(path);
  }

  /** Add `C` for every unchanged name linked to an exported one, and for its parents. */
  addCopiedUp(out: Change[]): void {
    const copied = [...this.groups.values()].filter((g) => g.exported).flatMap((g) => g.unchanged);
    if (copied.length === 0) return;
    const listed = new Set(out.map((c) => c.path));
    for (const path of copied) {
      for (let p = path; p !== '' && !listed.has(p); p = p.slice(0, p.lastIndexOf('/'))) {
        out.push({ path: p, kind: 'C' });
        listed.add(p);
      }
    }
  }
}
