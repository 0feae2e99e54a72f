/**
 * What interrupted writes leave behind, with the bytes it takes: ingest temp files and partial
 * downloads (`shale/ingest/`), legacy staging directories, and atomic-write temp files (`*.tmp`)
 * anywhere in the metadata or the root. Snapshot trees are not searched (their files are the
 * images' own); `trees.ts` reports snapshot and checkout leftovers.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Store } from '../store.ts';
import { reportLeftover, sortedNames } from './files.ts';
import type { ProblemList } from './problems.ts';

const TEMP_FILE = /\.tmp$/;

/** `*.tmp` files under `dir`, not descending into `skip`. */
async function reportTempFiles(
  store: Store,
  dir: string,
  skip: ReadonlySet<string>,
  problems: ProblemList,
): Promise<void> {
  const dirents = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const dirent of dirents.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const file = path.join(dir, dirent.name);
    if (skip.has(file)) continue;
    if (TEMP_FILE.test(dirent.name))
      await reportLeftover(store, file, 'temp file of an interrupted write', problems);
    else if (dirent.isDirectory()) await reportTempFiles(store, file, skip, problems);
  }
}

export async function checkLeftovers(store: Store, problems: ProblemList): Promise<void> {
  const { layout } = store;
  for (const name of await sortedNames(layout.ingestDir)) {
    const why = name.startsWith('partial-') ? 'partial download' : 'ingest of an interrupted write';
    await reportLeftover(store, path.join(layout.ingestDir, name), why, problems);
  }
  const legacyTmp = path.join(layout.metaDir, 'legacy', 'tmp');
  for (const name of await sortedNames(legacyTmp))
    await reportLeftover(
      store,
      path.join(legacyTmp, name),
      'legacy entry of an interrupted write',
      problems,
    );
  for (const name of await sortedNames(layout.root))
    if (TEMP_FILE.test(name))
      await reportLeftover(
        store,
        path.join(layout.root, name),
        'temp file of an interrupted store creation',
        problems,
      );
  const handledElsewhere = new Set([
    layout.ingestDir,
    legacyTmp,
    path.join(layout.metaDir, 'snapshots'),
    path.join(layout.metaDir, 'checkouts'),
  ]);
  await reportTempFiles(store, layout.metaDir, handledElsewhere, problems);
}
