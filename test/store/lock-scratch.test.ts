// Scratch directories are owned through the lock primitive: a live one (in this process or
// another) is never reported stale; one whose creator was killed is, with the bytes it holds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import { openStoreLayout } from '../../src/store/layout.ts';
import { createScratch, staleScratches } from '../../src/store/scratch.ts';
import { kill, LOCK_CHILD, startChild, tempDir } from '../helpers/lock-children.ts';

test('a scratch whose creator was killed is stale; a live one is not', async (t) => {
  const root = tempDir();
  const layout = await openStoreLayout(root);
  const own = await createScratch(layout, 'mine');
  writeFileSync(path.join(own.dir, 'temp'), 'x');
  assert.match(path.basename(own.dir), /^scratch-mine-[0-9a-f]+$/);
  assert.equal(path.dirname(own.dir), layout.ingestDir);

  const { child, line: dir } = await startChild([...LOCK_CHILD, 'scratch', root]);
  t.after(() => kill(child));
  assert.deepEqual(await staleScratches(layout), []);

  await kill(child);
  const owner = lstatSync(path.join(dir, '.owner')).size;
  assert.deepEqual(await staleScratches(layout), [{ dir, bytes: 1000 + owner }]);

  await own.dispose();
  assert.equal(existsSync(own.dir), false);
  assert.deepEqual(await staleScratches(layout), [{ dir, bytes: 1000 + owner }]);
});

test('a scratch whose removal a kill interrupts is stale at once, whenever the kill lands', async (t) => {
  const root = tempDir();
  const layout = await openStoreLayout(root);
  const files = 3000;
  let caughtMidway = 0;
  // Killed after a fifth, two fifths... of the files went: the owner file must still be there
  // whenever anything else is (a removal in directory order would drop it at a random point).
  for (const fraction of [0.2, 0.4, 0.6, 0.8]) {
    const { child, line: dir } = await startChild(
      [...LOCK_CHILD, 'dispose', root, String(files)],
      'pipe',
    );
    t.after(() => kill(child));
    child.stdin!.write('go\n');
    for (;;) {
      const left = existsSync(dir) ? readdirSync(dir).length : 0;
      if (left <= files * (1 - fraction)) break;
      await sleep(1);
    }
    await kill(child);
    const left = existsSync(dir) ? readdirSync(dir).filter((n) => n !== '.owner') : [];
    const stale = (await staleScratches(layout)).map((s) => s.dir);
    if (left.length > 0) {
      caughtMidway++;
      assert.ok(stale.includes(dir), `${left.length} files left in ${dir}, not stale`);
    }
  }
  assert.ok(caughtMidway > 0, 'no kill landed while the removal was under way');
});

test('a tree removed through a scratch is whole or gone, whenever a kill lands', async (t) => {
  const root = tempDir();
  const layout = await openStoreLayout(root);
  const files = 3000;
  // Killed as the tree starts to go, then at two points of the removal in the scratch: the tree
  // is never partial where it was, and what is left of it is in a scratch prune removes.
  for (const delayMs of [-1, 5, 20]) {
    const tree = path.join(layout.metaDir, 'snapshots', 'sha256', `tree-${delayMs}`);
    mkdirSync(tree, { recursive: true });
    for (let i = 0; i < files; i++) writeFileSync(path.join(tree, `file-${i}`), '');
    const { child } = await startChild([...LOCK_CHILD, 'remove', root, tree], 'pipe');
    t.after(() => kill(child));
    child.stdin!.write('go\n');
    for (;;) {
      const gone = files - (existsSync(tree) ? readdirSync(tree).length : 0);
      const moved = !existsSync(tree);
      if (delayMs < 0 ? gone > 0 || moved : moved) break;
      await sleep(1);
    }
    if (delayMs > 0) await sleep(delayMs);
    await kill(child);
    if (existsSync(tree)) assert.equal(readdirSync(tree).length, files, 'a tree left is whole');
    const stale = new Set((await staleScratches(layout)).map((s) => s.dir));
    for (const name of readdirSync(layout.ingestDir).filter((n) => n.startsWith('scratch-'))) {
      const dir = path.join(layout.ingestDir, name);
      if (readdirSync(dir).some((n) => n !== '.owner'))
        assert.ok(stale.has(dir), `${name} holds what is left of the tree, and is not stale`);
    }
  }
});

test('a scratch purpose must be a plain word', async () => {
  const layout = await openStoreLayout(tempDir());
  await assert.rejects(createScratch(layout, '../x'), /bad scratch purpose/);
});
