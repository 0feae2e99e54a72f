// `shale migrate`: a Docker 1.x graph built by hand from the migration vectors (spec §4.5) comes in
// with the expected image IDs and tags; a broken image is reported and skipped with its children;
// an interrupted migration resumes where it stopped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openStore } from '../../src/store/index.ts';
import { fixture } from '../helpers/fixtures.ts';
import { migrateFirstImageOnly, migrateToEnd } from '../helpers/migrate.ts';
import { runShale } from '../helpers/shale.ts';

interface VectorImage {
  json: string;
  legacyID?: string;
  legacyParentFile: string | null;
  checksumFile: string | null;
  expectedImageID: string;
}
const vectors = JSON.parse(fs.readFileSync(fixture('ids', 'expected.json'), 'utf8')) as {
  migration: { chains: { images: VectorImage[] }[] };
};
const [chain19, chain182] = vectors.migration.chains.map((c) => c.images) as [
  VectorImage[],
  VectorImage[],
];
const work = fs.mkdtempSync(path.join(tmpdir(), 'shale-migrate-'));
const BASE19 = '1'.repeat(64);
const CHILD19 = '2'.repeat(64);
const BROKEN = 'e'.repeat(64);
const ORPHAN = 'f'.repeat(64);

/** A graph entry with an empty vfs rootfs (every vector layer is the empty layer). */
function addImage(
  root: string,
  id: string,
  files: { json: string; parent?: string; checksum?: string | null },
) {
  const dir = path.join(root, 'graph', id);
  fs.mkdirSync(dir, { recursive: true });
  fs.mkdirSync(path.join(root, 'vfs', 'dir', id), { recursive: true });
  fs.writeFileSync(path.join(dir, 'json'), files.json);
  fs.writeFileSync(path.join(dir, 'layersize'), '0');
  if (files.parent) fs.writeFileSync(path.join(dir, 'parent'), files.parent);
  if (files.checksum) fs.writeFileSync(path.join(dir, 'checksum'), files.checksum);
}

function buildGraph(name: string, withBroken: boolean): string {
  const root = path.join(work, name);
  for (const image of chain182)
    addImage(root, image.legacyID!, { json: image.json, checksum: image.checksumFile });
  addImage(root, BASE19, { json: chain19[0]!.json });
  addImage(root, CHILD19, { json: chain19[1]!.json, parent: BASE19 });
  if (withBroken) {
    addImage(root, BROKEN, { json: '{"id": not json' });
    addImage(root, ORPHAN, { json: chain19[1]!.json, parent: BROKEN });
  }
  fs.mkdirSync(path.join(root, 'graph', '_tmp'));
  const repositories = {
    Repositories: {
      busybox: { latest: chain182[1]!.legacyID, '1.9': CHILD19 },
      broken: { latest: ORPHAN },
    },
  };
  fs.writeFileSync(path.join(root, 'repositories-vfs'), JSON.stringify(repositories));
  return root;
}

const expectedIds = new Map([
  [chain182[0]!.legacyID!, chain182[0]!.expectedImageID],
  [chain182[1]!.legacyID!, chain182[1]!.expectedImageID],
  [BASE19, chain19[0]!.expectedImageID],
  [CHILD19, chain19[1]!.expectedImageID],
]);

test('migrate gives the spec IDs and tags, and reports a broken image and its child', () => {
  const graph = buildGraph('graph-cli', true);
  const root = path.join(work, 'store-cli');
  const r = runShale(['--root', root, 'migrate', graph, '--json']);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`^shale: legacy image ${BROKEN} not migrated: `, 'm'));
  assert.match(r.stderr, new RegExp(`legacy image ${ORPHAN} not migrated: its parent`));
  const migrated = JSON.parse(r.stdout) as { LegacyId: string; Id: string }[];
  assert.deepEqual(
    new Map(migrated.map((m) => [m.LegacyId, m.Id])),
    expectedIds,
    'every good image with the spec ID',
  );
  const inspect = runShale(['--root', root, 'inspect', 'busybox:latest', 'busybox:1.9', CHILD19]);
  assert.equal(inspect.status, 0, inspect.stderr);
  const [latest, v19, byLegacy] = JSON.parse(inspect.stdout) as {
    Id: string;
    LegacyIds: string[];
  }[];
  assert.equal(latest!.Id, chain182[1]!.expectedImageID);
  assert.equal(v19!.Id, chain19[1]!.expectedImageID);
  assert.equal(byLegacy!.Id, v19!.Id);
  assert.ok(latest!.LegacyIds.includes(chain182[1]!.legacyID!));
  assert.equal(
    fs.readFileSync(
      path.join(root, 'shale', 'legacy', 'ids', chain182[0]!.legacyID!, 'checksum'),
      'utf8',
    ),
    chain182[0]!.checksumFile,
    'the checksum file is carried over',
  );
  // -a: one of the two is the other's untagged parent (`images` alone hides it, as docker does).
  const listing = runShale(['--root', root, 'images', '-a', '--json']);
  const images = JSON.parse(listing.stdout) as unknown[];
  assert.equal(images.length, 2, 'both chains end in the same two image IDs; nothing broken left');
});

test('an interrupted migration resumes where it stopped', async () => {
  const graph = buildGraph('graph-resume', false);
  const store = await openStore(path.join(work, 'store-resume'));
  await migrateFirstImageOnly(store, graph);
  const { seen, result } = await migrateToEnd(store, graph);
  assert.equal(seen.filter((i) => i.resumed).length, 1, 'the first image is not migrated twice');
  assert.deepEqual(new Map(seen.map((i) => [i.legacyId, i.imageId])), expectedIds);
  assert.deepEqual(result.references.sort(), [
    'docker.io/library/busybox:1.9',
    'docker.io/library/busybox:latest',
  ]);
});
