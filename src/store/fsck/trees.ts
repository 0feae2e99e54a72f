/**
 * Snapshots and checkouts against the layers and images they were made from (metadata only; the
 * trees' files are not compared): each snapshot names a registered layer, each checkout record
 * parses and names an image in the store and its tree record; unfinished snapshots and tree
 * records no checkout names are leftovers.
 */
import path from 'node:path';
import { isDigest } from '../../core/digest.ts';
import { readJsonFile } from '../json-file.ts';
import type { Store } from '../store.ts';
import { reportLeftover, sortedNames } from './files.ts';
import { reasonOf, type ProblemList } from './problems.ts';

async function checkSnapshots(store: Store, problems: ProblemList): Promise<void> {
  const dir = path.join(store.layout.metaDir, 'snapshots');
  for (const algorithm of await sortedNames(dir)) {
    for (const name of await sortedNames(path.join(dir, algorithm))) {
      const file = path.join(dir, algorithm, name);
      const chainId = `${algorithm}:${name}`;
      if (!isDigest(chainId)) await reportLeftover(store, file, 'unfinished snapshot', problems);
      else if (!(await store.layers.get(chainId).catch(() => undefined)))
        problems.add('missing-layer', chainId, 'snapshot of a layer that is not registered');
    }
  }
}

interface CheckoutRecord {
  dir?: unknown;
  image?: unknown;
  tree?: unknown;
}

async function checkCheckouts(store: Store, problems: ProblemList): Promise<void> {
  const dir = path.join(store.layout.metaDir, 'checkouts');
  const names = await sortedNames(dir);
  for (const name of names.filter((n) => n.endsWith('.json'))) {
    const object = `checkout ${name.slice(0, -5)}`;
    let record: CheckoutRecord;
    try {
      record = (await readJsonFile(path.join(dir, name))) as CheckoutRecord;
      if (
        typeof record?.dir !== 'string' ||
        typeof record.image !== 'string' ||
        !isDigest(record.image)
      )
        throw new Error('not a checkout record (dir and image)');
    } catch (err) {
      problems.add('bad-record', object, reasonOf(err));
      continue;
    }
    if (!(await store.images.get(record.image).catch(() => undefined)))
      problems.add(
        'missing-image',
        object,
        `${record.dir} was checked out from ${record.image}, not in the store`,
      );
    if (typeof record.tree === 'string' && !names.includes(record.tree))
      problems.add('bad-record', object, `its tree record ${record.tree} is missing`);
  }
  // Tree records no checkout names and temp files are leftovers (leftovers.ts).
}

export async function checkTrees(store: Store, problems: ProblemList): Promise<void> {
  await checkSnapshots(store, problems);
  await checkCheckouts(store, problems);
}
