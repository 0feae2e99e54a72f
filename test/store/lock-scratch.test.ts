// Scratch directories are owned through the lock primitive: a live one (in this process or
// another) is never reported stale; one whose creator was killed is, with the bytes it holds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, writeFileSync } from 'node:fs';
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

test('a scratch purpose must be a plain word', async () => {
  const layout = await openStoreLayout(tempDir());
  await assert.rejects(createScratch(layout, '../x'), /bad scratch purpose/);
});
