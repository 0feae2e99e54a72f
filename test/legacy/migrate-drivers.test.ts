// `shale migrate` of Docker 1.x graphs as the vfs, aufs and overlay drivers kept them, built
// (test/helpers/legacy-graph.ts) from tars whose DiffIDs are known — the TarSum test-data layers
// and the edge-case image (whiteouts, opaque directories, hard links, xattrs, odd names) — with
// `tar-data.json.gz` from our tar-split packer: the DiffIDs are the tars' sha256, the image IDs
// those spec §4.5 gives, and `unpack` equals GNU tar's and umoci's trees. Without tar-data (a
// 1.6/1.7 graph) or with a body changed since, the layers are rebuilt with a warning and still
// unpack to the same trees. devicemapper is refused; an interrupted migration resumes, and so
// does one a Docker 1.10 began (its `.migration-*` marks are checked). Parents that form a cycle
// are refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openStore } from '../../src/store/index.ts';
import { snapshot } from '../helpers/changes-tree.ts';
import {
  buildLegacyGraph,
  edgeChain,
  expectedImageIds,
  sha256Hex,
  tarsumChain,
  type Driver,
  type LegacyLayer,
} from '../helpers/legacy-graph.ts';
import { migrateFirstImageOnly, migrateToEnd } from '../helpers/migrate.ts';
import { runShale } from '../helpers/shale.ts';
import { linksAndDevices, xattrs } from '../helpers/tree-facts.ts';

const work = fs.mkdtempSync(path.join(tmpdir(), 'shale-migrate-drivers-'));
test.after(() => fs.rmSync(work, { recursive: true, force: true }));

const tarsum = tarsumChain();
const edge = edgeChain(path.join(work, 'edge'));
const TAGS = {
  'tarsum-images': { sudo: tarsum[1]!.id },
  'edge-images': { edge: edge[2]!.id },
};

/** The trees the chains give: GNU tar over the TarSum layers, umoci over the edge layout. */
const tarsumTree = path.join(work, 'tarsum-tree');
fs.mkdirSync(tarsumTree);
for (const layer of tarsum)
  execFileSync('tar', ['-C', tarsumTree, '--numeric-owner', '-xpf', layer.tar]);
execFileSync('umoci', [
  'unpack',
  '--image',
  `${path.join(work, 'edge', 'layout')}:edge`,
  path.join(work, 'edge-bundle'),
]);
const edgeTree = path.join(work, 'edge-bundle', 'rootfs');
assert.match(xattrs(edgeTree), /user\.binary=0x00ff10/);

/** `rebuilt`: a diff keeps only `security.capability` (spec §7.2), so user xattrs are gone. */
function sameTree(ours: string, theirs: string, what: string, rebuilt = false): void {
  assert.deepEqual(snapshot(ours), snapshot(theirs), what);
  assert.deepEqual(linksAndDevices(ours), linksAndDevices(theirs), what);
  if (!rebuilt) assert.equal(xattrs(ours), xattrs(theirs), what);
  else assert.equal(xattrs(ours), '', what);
}

async function graph(name: string, driver: Driver, tarData = true): Promise<string> {
  const root = path.join(work, name);
  await buildLegacyGraph(root, driver, tarsum, { tarData, tags: TAGS });
  await buildLegacyGraph(root, driver, edge, { tarData, tags: TAGS });
  return root;
}

function inspect(store: string, ref: string) {
  const r = runShale(['--root', store, 'inspect', '--json', ref]);
  assert.equal(r.status, 0, r.stderr);
  return (JSON.parse(r.stdout) as [{ Id: string; RootFS: { Layers: string[] } }])[0];
}

function unpack(store: string, ref: string, out: string): string {
  const r = runShale(['--root', store, 'unpack', ref, out]);
  assert.equal(r.status, 0, r.stderr);
  return out;
}

const diffIds = (chain: LegacyLayer[]) =>
  chain.map((l) => `sha256:${sha256Hex(fs.readFileSync(l.tar))}`);

for (const driver of ['vfs', 'aufs', 'overlay'] as const) {
  test(`${driver}: the original layer tars come back; image IDs as spec §4.5; trees as GNU tar's and umoci's`, async () => {
    const root = await graph(`graph-${driver}`, driver);
    const store = path.join(work, `store-${driver}`);
    const r = runShale(['--root', store, 'migrate', root]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '', 'no layer had to be rebuilt');
    for (const [ref, chain] of [
      ['tarsum-images:sudo', tarsum],
      ['edge-images:edge', edge],
    ] as const) {
      const image = inspect(store, ref);
      assert.deepEqual(image.RootFS.Layers, diffIds(chain), `${ref}: DiffIDs`);
      assert.equal(image.Id, expectedImageIds(chain).at(-1)!.id, `${ref}: image ID`);
    }
    sameTree(
      unpack(store, 'tarsum-images:sudo', path.join(work, `${driver}-tarsum`)),
      tarsumTree,
      'tarsum',
    );
    sameTree(
      unpack(store, 'edge-images:edge', path.join(work, `${driver}-edge`)),
      edgeTree,
      'edge',
    );
  });

  test(`${driver}: a 1.6/1.7 graph without tar-data is rebuilt from the directories, with a warning`, async () => {
    const root = await graph(`graph-${driver}-16`, driver, false);
    const store = path.join(work, `store-${driver}-16`);
    const r = runShale(['--root', store, 'migrate', root]);
    assert.equal(r.status, 0, r.stderr);
    const warnings = r.stderr.match(
      /^shale: warning: legacy image [0-9a-f]{64} has no tar-split metadata/gm,
    );
    assert.equal(warnings?.length, tarsum.length + edge.length, r.stderr);
    sameTree(
      unpack(store, 'tarsum-images:sudo', path.join(work, `${driver}-16-tarsum`)),
      tarsumTree,
      'tarsum',
      true,
    );
    sameTree(
      unpack(store, 'edge-images:edge', path.join(work, `${driver}-16-edge`)),
      edgeTree,
      'edge',
      true,
    );
  });
}

test('a body changed since the tar-data was written: that layer is rebuilt, with a warning', async () => {
  const root = await graph('graph-changed', 'vfs');
  const sudoers = path.join(root, 'vfs', 'dir', tarsum[1]!.id, 'etc', 'sudoers');
  const bytes = fs.readFileSync(sudoers);
  bytes[0] = bytes[0]! ^ 1;
  fs.writeFileSync(sudoers, bytes);
  const store = path.join(work, 'store-changed');
  const r = runShale(['--root', store, 'migrate', root]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(
    r.stderr,
    new RegExp(
      `^shale: warning: legacy image ${tarsum[1]!.id}: its original layer cannot be reassembled \\(tar-split: file integrity checksum failed for "etc/sudoers"\\)`,
      'm',
    ),
  );
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  const image = inspect(store, 'tarsum-images:sudo');
  assert.equal(image.RootFS.Layers[0], diffIds(tarsum)[0]);
  assert.notEqual(image.RootFS.Layers[1], diffIds(tarsum)[1]);
});

test('a devicemapper graph is refused, saying what to do; the store is left as it was', async () => {
  const root = path.join(work, 'graph-dm');
  await buildLegacyGraph(root, 'devicemapper', tarsum);
  const store = path.join(work, 'store-dm');
  const r = runShale(['--root', store, 'migrate', root]);
  assert.equal(r.status, 1);
  assert.match(
    r.stderr,
    /^shale: .* uses the devicemapper storage driver, .*docker save.*shale load/,
  );
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  const images = runShale(['--root', store, 'images', '-a', '--json']);
  assert.deepEqual(JSON.parse(images.stdout), []);
});

test('a graph whose parents form a cycle: those images are refused, clearly and at once, and nothing is written', async () => {
  const root = path.join(work, 'graph-cycle');
  await buildLegacyGraph(root, 'vfs', tarsum);
  // the first image's `parent` file (which wins over its JSON) names the second, its own child
  fs.writeFileSync(path.join(root, 'graph', tarsum[0]!.id, 'parent'), tarsum[1]!.id);
  const store = path.join(work, 'store-cycle');
  const r = runShale(['--root', store, 'migrate', root]);
  assert.equal(r.status, 1, r.stderr);
  for (const { id } of tarsum) {
    assert.match(
      r.stderr,
      new RegExp(`^shale: legacy image ${id} not migrated: its parents lead back to itself$`, 'm'),
    );
  }
  assert.match(r.stderr, /^shale: 2 legacy image\(s\) could not be migrated/m);
  const images = runShale(['--root', store, 'images', '-a', '--json']);
  assert.deepEqual(JSON.parse(images.stdout), []);
});

test('an interrupted migration of an aufs graph resumes', async () => {
  const root = path.join(work, 'graph-resume');
  await buildLegacyGraph(root, 'aufs', edge, { tags: TAGS });
  const store = await openStore(path.join(work, 'store-resume'));
  await migrateFirstImageOnly(store, root);
  const { seen } = await migrateToEnd(store, root);
  assert.deepEqual(
    seen.map((i) => [i.legacyId, i.imageId, i.resumed]),
    expectedImageIds(edge).map((m, i) => [edge[i]!.id, m.id, i === 0]),
  );
});

test('a graph a Docker 1.10 half migrated: its marks are checked, a differing one is warned about', async () => {
  const root = path.join(work, 'graph-half');
  await buildLegacyGraph(root, 'overlay', edge, { tags: TAGS });
  const expected = expectedImageIds(edge);
  // Docker got through the first image, and computed the DiffID of the second.
  for (const i of [0, 1]) {
    const dir = path.join(root, 'graph', edge[i]!.id);
    fs.writeFileSync(path.join(dir, '.migration-size'), '0');
    fs.writeFileSync(path.join(dir, '.migration-diffid'), diffIds(edge)[i]!);
  }
  fs.writeFileSync(
    path.join(root, '.migration-v1-images.json'),
    JSON.stringify({ [edge[0]!.id]: expected[0]!.id }),
  );
  const warnings: string[] = [];
  const store = await openStore(path.join(work, 'store-half'));
  const first = await import('../../src/legacy/migrate/index.ts').then((m) =>
    m.migrateDockerRoot(store, root, { onWarning: (w) => warnings.push(w) }),
  );
  assert.deepEqual(warnings, []);
  assert.deepEqual(
    first.images.map((i) => i.imageId),
    expected.map((m) => m.id),
  );

  const wrong = path.join(work, 'graph-half-wrong');
  await buildLegacyGraph(wrong, 'overlay', edge, { tags: TAGS });
  fs.writeFileSync(
    path.join(wrong, 'graph', edge[1]!.id, '.migration-diffid'),
    `sha256:${'0'.repeat(64)}`,
  );
  fs.writeFileSync(
    path.join(wrong, '.migration-v1-images.json'),
    JSON.stringify({ [edge[0]!.id]: `sha256:${'1'.repeat(64)}` }),
  );
  const r = runShale(['--root', path.join(work, 'store-half-wrong'), 'migrate', wrong]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(
    r.stderr,
    new RegExp(
      `legacy image ${edge[0]!.id} migrates to ${expected[0]!.id}, but the Docker migration gave it sha256:1{64}`,
    ),
  );
  assert.match(
    r.stderr,
    new RegExp(
      `legacy image ${edge[1]!.id}: its reassembled layer has DiffID ${diffIds(edge)[1]}, but the Docker migration recorded sha256:0{64}`,
    ),
  );
});
