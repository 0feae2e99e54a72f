// A store whose creation was killed part-way opens on the next run and finishes being created:
// every state creation passes through (directories made, a temp file written but not yet renamed
// into place, the layout files there but no marker) is taken as unfinished, not as "not a store".
// A directory holding anything else is still refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isShaleError } from '../../src/core/errors.ts';
import { openStore } from '../../src/store/index.ts';

const work = mkdtempSync(path.join(tmpdir(), 'shale-creation-'));
const OLD = new Date(Date.now() - 60_000);

/** What a killed creation leaves, step by step (later steps include the earlier ones). */
const STEPS: ((root: string) => void)[] = [
  (root) => mkdirSync(path.join(root, 'blobs', 'sha256'), { recursive: true }),
  (root) => mkdirSync(path.join(root, 'shale', 'ingest'), { recursive: true }),
  (root) => writeFileSync(path.join(root, 'oci-layout.4242.k3j4.tmp'), '{"imageLayo'),
  (root) => writeFileSync(path.join(root, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}'),
  (root) => writeFileSync(path.join(root, 'index.json.4242.zz9.tmp'), ''),
  (root) =>
    writeFileSync(
      path.join(root, 'index.json'),
      '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}',
    ),
  (root) => writeFileSync(path.join(root, 'shale', 'store.json.4242.q1.tmp'), '{"form'),
];

function interrupted(name: string, steps: number): string {
  const root = path.join(work, name);
  mkdirSync(root);
  for (const step of STEPS.slice(0, steps)) step(root);
  for (const entry of readdirSync(root)) utimesSync(path.join(root, entry), OLD, OLD);
  return root;
}

for (let steps = 0; steps <= STEPS.length; steps++) {
  test(`a creation killed after step ${steps} of ${STEPS.length} finishes on the next open`, async () => {
    const root = interrupted(`after-${steps}`, steps);
    const store = await openStore(root);
    assert.deepEqual(await store.images.ids(), []);
    assert.deepEqual(readdirSync(root).sort(), ['blobs', 'index.json', 'oci-layout', 'shale']);
    // and it is a store from now on
    assert.ok(await openStore(root));
  });
}

test('a fresh temp file (another process creating the root right now) is left alone', async () => {
  const root = path.join(work, 'racing');
  mkdirSync(root);
  writeFileSync(path.join(root, 'oci-layout.777.abc.tmp'), '');
  await openStore(root);
  assert.ok(readdirSync(root).includes('oci-layout.777.abc.tmp'));
});

test('a directory holding anything else is refused, and left as it was', async () => {
  const root = interrupted('foreign', 4);
  writeFileSync(path.join(root, 'notes.txt'), 'mine');
  const before = readdirSync(root).sort();
  await assert.rejects(
    openStore(root),
    (err) => isShaleError(err, 'ERR_INVALID_ARGUMENT') && /is not a shale store/.test(err.message),
  );
  assert.deepEqual(readdirSync(root).sort(), before);
});
