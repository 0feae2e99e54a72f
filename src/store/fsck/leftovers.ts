/**
 * What interrupted writes leave behind, with the bytes it takes: ingest temp files and partial
 * downloads (`shale/ingest/`), scratch directories whose owner died, legacy staging directories,
 * push sessions older than a registry keeps an upload (`shale/uploads/`), and atomic-write temp
 * files (`*.tmp`) anywhere in the metadata or the root. Work in progress is
 * not a leftover: a scratch or a partial download whose owner is alive. Each leftover says whether
 * it is abandoned (its owner is dead, or it has not changed for `ABANDONED_AFTER_MS`): those are
 * what `fsck --repair` removes. Snapshot trees are not searched (their files are the images' own);
 * `trees.ts` reports snapshot and checkout leftovers.
 */
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { lockState } from '../lock.ts';
import { staleScratches } from '../scratch.ts';
import { tempWriterState } from '../temp-names.ts';
import type { Store } from '../store.ts';
import { diskUsage, sortedNames } from './files.ts';
import type { ProblemList } from './problems.ts';

/** A temp file untouched for this long has no writer left (an atomic write takes milliseconds). */
export const ABANDONED_AFTER_MS = 60_000;
/**
 * How long a registry keeps an unfinished upload (Distribution purges them after a week by
 * default): a push session remembered longer than that cannot be resumed.
 */
export const UPLOAD_KEPT_MS = 7 * 24 * 3600_000;

const TEMP_FILE = /\.tmp$/;
const SCRATCH = /^scratch-/;
const PARTIAL = /^partial-[a-z0-9]+-[0-9a-f]+$/;
const LOCK_FILE = /\.lock$/;

export interface Leftover {
  file: string;
  why: string;
  bytes: number;
  /** Nobody will finish or remove it: safe to remove. */
  abandoned: boolean;
}

async function leftover(file: string, why: string, owned?: boolean): Promise<Leftover> {
  const stats = await lstat(file).catch(() => undefined);
  const idleMs = Date.now() - (stats?.mtimeMs ?? 0);
  // A temp named by its writer is abandoned as soon as that writer is dead.
  const writer = tempWriterState(path.basename(file), idleMs);
  const abandoned =
    owned === false || (writer !== undefined ? writer === 'dead' : idleMs >= ABANDONED_AFTER_MS);
  return { file, why, bytes: await diskUsage(file), abandoned };
}

/** `*.tmp` files under `dir`, not descending into `skip`. */
async function tempFiles(dir: string, skip: ReadonlySet<string>): Promise<Leftover[]> {
  const found: Leftover[] = [];
  const dirents = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const dirent of dirents.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const file = path.join(dir, dirent.name);
    if (skip.has(file)) continue;
    if (TEMP_FILE.test(dirent.name))
      found.push(await leftover(file, 'temp file of an interrupted write'));
    else if (dirent.isDirectory()) found.push(...(await tempFiles(file, skip)));
  }
  return found;
}

/** What the ingest area holds that no running operation owns. */
async function ingestLeftovers(store: Store): Promise<Leftover[]> {
  const { ingestDir } = store.layout;
  const stale = new Map((await staleScratches(store.layout)).map((s) => [s.dir, s.bytes]));
  const found: Leftover[] = [];
  for (const name of await sortedNames(ingestDir)) {
    const file = path.join(ingestDir, name);
    if (SCRATCH.test(name)) {
      const bytes = stale.get(file);
      if (bytes !== undefined)
        found.push({ file, why: 'scratch of an interrupted command', bytes, abandoned: true });
    } else if (PARTIAL.test(name) || LOCK_FILE.test(name)) {
      const lock = LOCK_FILE.test(name) ? file : `${file}.lock`;
      if ((await lockState(lock)) === 'alive') continue; // a download in progress
      const why = PARTIAL.test(name) ? 'partial download' : 'lock of an interrupted download';
      found.push(await leftover(file, why, false));
    } else {
      found.push(await leftover(file, 'ingest of an interrupted write'));
    }
  }
  return found;
}

/** Remembered push sessions no registry keeps any more. */
async function staleUploadSessions(dir: string): Promise<Leftover[]> {
  const found: Leftover[] = [];
  for (const name of await sortedNames(dir)) {
    const file = path.join(dir, name);
    const stats = await lstat(file).catch(() => undefined);
    if (stats && !TEMP_FILE.test(name) && Date.now() - stats.mtimeMs >= UPLOAD_KEPT_MS)
      found.push({
        file,
        why: 'push session older than a registry keeps one',
        bytes: await diskUsage(file),
        abandoned: true,
      });
  }
  return found;
}

/** Every leftover in the store, in a stable order. */
export async function findLeftovers(store: Store): Promise<Leftover[]> {
  const { layout } = store;
  const found = await ingestLeftovers(store);
  const legacyTmp = path.join(layout.metaDir, 'legacy', 'tmp');
  for (const name of await sortedNames(legacyTmp))
    found.push(await leftover(path.join(legacyTmp, name), 'legacy entry of an interrupted write'));
  for (const name of await sortedNames(layout.root))
    if (TEMP_FILE.test(name))
      found.push(
        await leftover(path.join(layout.root, name), 'temp file of an interrupted store creation'),
      );
  found.push(...(await staleUploadSessions(layout.uploadsDir)));
  for (const file of await store.checkouts.orphanTreeRecords())
    found.push(await leftover(file, 'tree record no checkout names', false));
  const handledElsewhere = new Set([
    layout.ingestDir,
    legacyTmp,
    path.join(layout.metaDir, 'snapshots'),
  ]);
  found.push(...(await tempFiles(layout.metaDir, handledElsewhere)));
  return found;
}

export async function checkLeftovers(store: Store, problems: ProblemList): Promise<void> {
  for (const { file, why, bytes } of await findLeftovers(store))
    problems.add('leftover', path.relative(store.layout.root, file), why, bytes);
}
