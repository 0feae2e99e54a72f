/**
 * Damaged store records kept aside: before `fsck --repair` replaces or drops a record that does
 * not parse or does not hold together (references.json, an image or layer record), it copies it
 * to `shale/quarantine/records/<its path under shale/>.<time>`, so nothing is deleted silently.
 * (Quarantined blobs live beside it, in `shale/quarantine/<alg>/`.)
 */
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { StoreLayout } from './layout.ts';

/** Copy the record `file` (under `shale/`) into quarantine; the copy's path, relative to the root. */
export async function keepInQuarantine(layout: StoreLayout, file: string): Promise<string> {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const kept = path.join(
    layout.metaDir,
    'quarantine',
    'records',
    `${path.relative(layout.metaDir, file)}.${stamp}`,
  );
  await mkdir(path.dirname(kept), { recursive: true });
  await copyFile(file, kept);
  return path.relative(layout.root, kept);
}
