/**
 * Scratch directories: where every operation keeps its temporary files (snapshot and checkout
 * temps, load staging, import temps) — `shale/ingest/scratch-<purpose>-<nonce>/`, owned through a
 * lock file `.owner` inside it (see lock.ts), removed by its creator when done. One whose owner
 * died is stale: `staleScratches` finds those for prune and `fsck --repair` to remove. The owner
 * file goes last, so that a removal a kill interrupts leaves either a directory that is stale at
 * once or an empty one (stale once its mtime is STALE_HEARTBEAT_MS old).
 */
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { ShaleError } from '../core/errors.ts';
import type { StoreLayout } from './layout.ts';
import { acquireLock, lockState } from './lock.ts';
import { STALE_HEARTBEAT_MS } from './owner.ts';

export interface Scratch {
  readonly dir: string;
  /** Remove the directory and everything in it. */
  dispose(): Promise<void>;
}

const PREFIX = 'scratch-';
const OWNER_FILE = '.owner';

/** A new scratch directory for `purpose` (lower-case letters, digits and dashes). */
export async function createScratch(layout: StoreLayout, purpose: string): Promise<Scratch> {
  if (!/^[a-z0-9-]+$/.test(purpose)) {
    throw new ShaleError('ERR_INVALID_ARGUMENT', `bad scratch purpose ${JSON.stringify(purpose)}`);
  }
  const dir = path.join(layout.ingestDir, `${PREFIX}${purpose}-${randomBytes(8).toString('hex')}`);
  await mkdir(dir, { recursive: true });
  let owner;
  try {
    owner = await acquireLock(path.join(dir, OWNER_FILE));
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    dir,
    async dispose() {
      await removeContents(dir);
      await owner.release();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Remove everything in scratch `dir` but its owner file. */
async function removeContents(dir: string): Promise<void> {
  const names = await readdir(dir).catch(() => []);
  for (const name of names)
    if (name !== OWNER_FILE) await rm(path.join(dir, name), { recursive: true, force: true });
}

/**
 * Remove the directory `doomed` (a tree others may read) so that no kill leaves it half removed
 * where it was: it is moved into a scratch directory first, and removed there.
 */
export async function removeThroughScratch(layout: StoreLayout, doomed: string): Promise<void> {
  const scratch = await createScratch(layout, 'remove');
  try {
    await rename(doomed, path.join(scratch.dir, 'doomed'));
  } catch (err) {
    await scratch.dispose().catch(() => undefined); // the rename's failure is the one to report
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  await scratch.dispose();
}

/** Whether the owner of scratch directory `dir` has died. */
async function isStale(dir: string): Promise<boolean> {
  const stats = await lstat(dir).catch(() => undefined);
  if (!stats?.isDirectory()) return false;
  const state = await lockState(path.join(dir, OWNER_FILE));
  if (state !== 'absent') return state === 'dead';
  // No owner file: being created (fresh), or its removal was interrupted.
  return Date.now() - stats.mtimeMs >= STALE_HEARTBEAT_MS;
}

/** Bytes under `entry`, not following symbolic links. */
async function bytesUnder(entry: string): Promise<number> {
  const stats = await lstat(entry).catch(() => undefined);
  if (!stats?.isDirectory()) return stats?.size ?? 0;
  let total = 0;
  for (const name of await readdir(entry).catch(() => [])) {
    total += await bytesUnder(path.join(entry, name));
  }
  return total;
}

/** The scratch directories whose owner has died, with the bytes they hold. */
export async function staleScratches(
  layout: StoreLayout,
): Promise<{ dir: string; bytes: number }[]> {
  let names: string[];
  try {
    names = await readdir(layout.ingestDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const stale: { dir: string; bytes: number }[] = [];
  for (const name of names.filter((n) => n.startsWith(PREFIX)).sort()) {
    const dir = path.join(layout.ingestDir, name);
    if (await isStale(dir)) stale.push({ dir, bytes: await bytesUnder(dir) });
  }
  return stale;
}
