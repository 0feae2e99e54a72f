// Scenario C of the legacy issue: a Docker 1.x graph (vfs driver) built from the TarSum test-data
// images — their `json` and `layer.tar`, the layers extracted by GNU tar into `vfs/dir/<id>` as
// Docker kept them, with tags — migrates: `images` lists the tags, the legacy IDs stay, `unpack`
// gives the trees vfs held, and a migration interrupted after its first image finishes on re-run.
// The two images are chained (the sudo image's recorded parent is not in the test data, so its
// `parent` names the base image instead).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openStore } from '../../src/store/index.ts';
import { snapshot } from '../helpers/changes-tree.ts';
import { fixture } from '../helpers/fixtures.ts';
import { migrateFirstImageOnly, migrateToEnd } from '../helpers/migrate.ts';
import { runShale } from '../helpers/shale.ts';

const BASE = '511136ea3c5a64f264b78b5433614aec563103b4d4702f3ba7d4d2698e22c158';
const SUDO = '46af0962ab5afeb5ce6740d4d91652e69206fc991fd5328c1a94d364ad00e457';
const SUDO_RECORDED_PARENT = 'def3f9165934325dfd027c86530b2ea49bb57a0963eb1336b3a0415ff6fd56de';

const work = fs.mkdtempSync(path.join(tmpdir(), 'shale-migrate-layers-'));
test.after(() => fs.rmSync(work, { recursive: true, force: true }));

function addImage(root: string, id: string, json: string, parent?: string): void {
  const dir = path.join(root, 'graph', id);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'json'), json);
  if (parent) fs.writeFileSync(path.join(dir, 'parent'), parent);
  const layer = fixture('tarsum', id, 'layer.tar');
  fs.writeFileSync(path.join(dir, 'layersize'), String(fs.statSync(layer).size));
  // vfs keeps each image's whole rootfs: the parent's tree with this layer extracted over it.
  const rootfs = path.join(root, 'vfs', 'dir', id);
  if (parent) execFileSync('cp', ['-a', path.join(root, 'vfs', 'dir', parent), rootfs]);
  else fs.mkdirSync(rootfs, { recursive: true });
  execFileSync('tar', ['-C', rootfs, '--numeric-owner', '-xpf', layer]);
}

function buildGraph(name: string): string {
  const root = path.join(work, name);
  const json = (id: string) => fs.readFileSync(fixture('tarsum', id, 'json'), 'utf8');
  addImage(root, BASE, json(BASE));
  addImage(root, SUDO, json(SUDO).replaceAll(SUDO_RECORDED_PARENT, BASE), BASE);
  const tags = { Repositories: { 'tarsum-images': { base: BASE, sudo: SUDO } } };
  fs.writeFileSync(path.join(root, 'repositories-vfs'), JSON.stringify(tags));
  return root;
}

function shale(root: string, ...args: string[]): string {
  const r = runShale(['--root', root, ...args]);
  assert.equal(r.status, 0, `shale ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

test('a graph of the TarSum test-data images migrates with its tags, legacy IDs and trees', () => {
  const graph = buildGraph('graph');
  const store = path.join(work, 'store');
  shale(store, 'migrate', graph);
  const images = shale(store, 'images');
  assert.match(images, /tarsum-images\s+base\s/);
  assert.match(images, /tarsum-images\s+sudo\s/);
  const [sudo] = JSON.parse(shale(store, 'inspect', '--json', 'tarsum-images:sudo')) as [
    { Id: string; LegacyIds: string[]; RootFS: { Layers: string[] } },
  ];
  assert.ok(sudo.LegacyIds.includes(SUDO), `LegacyIds ${sudo.LegacyIds.join(', ')}`);
  assert.equal(sudo.RootFS.Layers.length, 2);
  const [byLegacyId] = JSON.parse(shale(store, 'inspect', '--json', SUDO)) as [{ Id: string }];
  assert.equal(byLegacyId.Id, sudo.Id);
  for (const [tag, id] of [
    ['base', BASE],
    ['sudo', SUDO],
  ] as const) {
    const out = path.join(work, `unpacked-${tag}`);
    shale(store, 'unpack', `tarsum-images:${tag}`, out);
    assert.deepEqual(snapshot(out), snapshot(path.join(graph, 'vfs', 'dir', id)), tag);
  }
  assert.equal(fs.readFileSync(path.join(work, 'unpacked-sudo', 'etc', 'sudoers')).length, 3348);
});

test('a migration of the TarSum images interrupted after one image finishes when run again', async () => {
  const graph = buildGraph('graph-resume');
  const root = path.join(work, 'store-resume');
  const store = await openStore(root);
  await migrateFirstImageOnly(store, graph);
  const { seen } = await migrateToEnd(store, graph);
  assert.deepEqual(
    new Map(seen.map((i) => [i.legacyId, i.resumed])),
    new Map([
      [BASE, true],
      [SUDO, false],
    ]),
  );
  const fresh = path.join(work, 'store-uninterrupted');
  shale(fresh, 'migrate', graph);
  for (const tag of ['base', 'sudo']) {
    const id = (r: string) =>
      (JSON.parse(shale(r, 'inspect', '--json', `tarsum-images:${tag}`)) as [{ Id: string }])[0].Id;
    assert.equal(id(root), id(fresh), `${tag}: the resumed migration gives the same image`);
  }
});
