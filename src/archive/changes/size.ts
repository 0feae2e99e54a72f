/**
 * ChangesSize (spec §7.3, 1.10 rule): the lstat sizes of the non-directory paths added or changed
 * in `dir`, each hard-linked inode counted once. A listed path that is gone is an error.
 */
import { lstatSync } from 'node:fs';
import { pathInDir } from './paths.ts';
import type { Change } from './types.ts';

export function changesSize(dir: string, changes: readonly Change[]): number {
  const seen = new Set<string>();
  let size = 0;
  for (const change of changes) {
    if (change.kind === 'D') continue;
    const st = lstatSync(pathInDir(dir, change.path), { bigint: true });
    if (st.isDirectory()) continue;
    if (st.nlink > 1n) {
      const inode = `${st.dev}:${st.ino}`;
      if (seen.has(inode)) continue;
      seen.add(inode);
    }
    size += Number(st.size);
  }
  return size;
}
