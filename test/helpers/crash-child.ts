/**
 * A child for the crash-consistency test: loops over load, import, checkout+commit and rmi in the
 * store at ROOT until it is killed. LAYOUT is an OCI layout to load; TREE a rootfs to import.
 */
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseDockerRef } from '../../src/core/reference.ts';
import { loadOciLayout } from '../../src/formats/index.ts';
import { commitWorktree, checkout, importRootfs } from '../../src/trees/index.ts';
import { openStore, prune, removeImage } from '../../src/store/index.ts';

const [root, layout, tree] = process.argv.slice(2) as [string, string, string];
const store = await openStore(root);
process.stdout.write('ready\n');
for (let round = 0; ; round++) {
  await loadOciLayout(store, layout);
  const imported = await importRootfs(store, tree, {
    reference: parseDockerRef(`crash/imported:${round}`),
  });
  const work = mkdtempSync(path.join(tmpdir(), 'shale-crash-tree-'));
  rmSync(work, { recursive: true });
  await checkout(store, imported, work);
  appendFileSync(
    path.join(work, 'etc', 'passwd'),
    `user${round}:x:${1000 + round}:1000::/:/bin/sh\n`,
  );
  await commitWorktree(store, work, { reference: parseDockerRef(`crash/committed:${round}`) });
  rmSync(work, { recursive: true, force: true });
  if (round % 2 === 1) await removeImage(store, `crash/committed:${round - 1}`);
  if (round % 3 === 2) await prune(store);
  process.stdout.write(`round ${round}\n`);
}
