// A Docker 1.x graph whose image came from the test registry, migrated: the `small` fixture,
// published by skopeo as schema1 to the real Distribution registry, laid out as a Docker
// 1.8.3/1.9 pull of it left its graph (test/helpers/legacy-graph.ts: strong IDs, MakeImageConfig
// JSON, checksum and v1Compatibility files, the registry's blobs decompressed as layer tars,
// tar-split metadata from our packer, vfs and aufs directories). After `shale migrate`, `shale
// pull` of the image gives the migrated image ID and registers no new layer; a pull into an empty
// store gets the same image ID and DiffIDs (the fixture's own, sha256 of its tars) — the ID a real
// Docker 20.10 pulling the same manifest computes — and the OCI
// publication of the same image adds no layer to the migrated store. The contrast: the same graph
// without tar-data (rebuilt by diff) has other DiffIDs and image IDs, and the OCI pull then has to
// register layers of its own.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ensureFixture, type Fixture } from '../../support/fixtures/image.ts';
import { DEFAULTS, PRESETS } from '../../support/fixtures/presets.ts';
import { isThrowaway } from '../../src/legacy/index.ts';
import {
  buildLegacyGraph,
  expectedImageIds,
  fetchSchema1,
  schema1PulledChain,
  type Driver,
  type LegacyLayer,
} from '../helpers/legacy-graph.ts';
import { startDockerDaemon } from '../helpers/docker-daemon.ts';
import { publish } from '../helpers/publish.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { runShale } from '../helpers/shale.ts';

const NAME = 'legacy/small';

let registry: TestRegistry;
let work: string;
let fixture: Fixture;
let chain: LegacyLayer[];
let schema1Ref: string;
let ociRef: string;
/** The image ID Docker 20.10 gives the schema1 image when it pulls it (spec §4.4). */
let dockerId: string;

before(async () => {
  work = fs.mkdtempSync(path.join(tmpdir(), 'shale-migrate-registry-'));
  fixture = await ensureFixture({
    dir: path.join(work, 'small'),
    name: 'small',
    params: { ...DEFAULTS, ...PRESETS.small },
    log: () => undefined,
  });
  registry = await startRegistry({ schema1: true });
  schema1Ref = `${registry.host}/${NAME}:s1`;
  ociRef = `${registry.host}/${NAME}:oci`;
  await publish(path.join(fixture.dir, 'oci'), 'small', schema1Ref, 'v2s1');
  await publish(path.join(fixture.dir, 'oci'), 'small', ociRef, 'oci');
  const manifest = await fetchSchema1(registry.host, NAME, 's1');
  // Docker 1.9 pulled throwaway layers as layers; 1.10 does not: only an image without any has
  // the same ID both ways (the `small` fixture has a layer per history entry).
  assert.ok(manifest.history.every((h) => !isThrowaway(h.v1Compatibility)));
  chain = await schema1PulledChain(registry.host, NAME, manifest, path.join(work, 'tars'));
  const daemon = await startDockerDaemon();
  try {
    daemon.docker(['pull', '-q', schema1Ref]);
    dockerId = daemon.docker(['image', 'inspect', '--format', '{{.Id}}', schema1Ref]).trim();
  } finally {
    await daemon.stop();
  }
});

after(async () => {
  await registry?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

function shale(root: string, ...args: string[]): string {
  const r = runShale(['--root', root, ...args]);
  assert.equal(r.status, 0, `shale ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

function inspect(root: string, ref: string) {
  return (
    JSON.parse(shale(root, 'inspect', '--json', ref)) as [
      { Id: string; RootFS: { Layers: string[] } },
    ]
  )[0];
}

/** The store's layer records (files under shale/layers/), with their bytes. */
function layerRecords(root: string): Map<string, string> {
  const dir = path.join(root, 'shale', 'layers');
  const records = new Map<string, string>();
  for (const name of fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort()) {
    const file = path.join(dir, name);
    if (fs.statSync(file).isFile()) records.set(name, fs.readFileSync(file, 'base64'));
  }
  return records;
}

async function migratedGraph(name: string, driver: Driver, tarData: boolean) {
  const graph = await buildLegacyGraph(path.join(work, `graph-${name}`), driver, chain, {
    tarData,
    tags: { [`${registry.host}/${NAME}`]: { s1: chain.at(-1)!.id } },
  });
  const root = path.join(work, `store-${name}`);
  const r = runShale(['--root', root, 'migrate', graph]);
  assert.equal(r.status, 0, r.stderr);
  return { root, printed: r.stdout.trim().split('\n'), warnings: r.stderr };
}

const fixtureDiffIds = () => fixture.layers.map((l) => l.diffId);

for (const driver of ['vfs', 'aufs'] as const) {
  test(`${driver}: a migrated 1.9 pull of a registry image; pulling it again gives the same IDs and no new layer`, async () => {
    const { root, printed, warnings } = await migratedGraph(driver, driver, true);
    assert.equal(warnings, '', 'every layer reassembled');
    const migratedId = inspect(root, schema1Ref).Id;
    assert.deepEqual(
      printed,
      expectedImageIds(chain).map((m) => m.id),
    );
    assert.equal(printed.at(-1), migratedId);
    assert.equal(migratedId, dockerId, 'the ID Docker gives the registry image');
    assert.deepEqual(inspect(root, schema1Ref).RootFS.Layers, fixtureDiffIds());

    const records = layerRecords(root);
    assert.equal(shale(root, 'pull', '-q', schema1Ref), migratedId);
    assert.deepEqual(layerRecords(root), records, 'the schema1 pull registered no layer');

    // The registry's own DiffIDs: the OCI publication's config lists them, so its layers are
    // the migrated ones (its image ID is its config's digest, which no 1.x graph held).
    shale(root, 'pull', '-q', ociRef);
    assert.deepEqual(layerRecords(root), records, 'the OCI pull registered no layer');

    // An empty store pulling the image gets what the migration gave.
    const fresh = path.join(work, `fresh-${driver}`);
    assert.equal(shale(fresh, 'pull', '-q', schema1Ref), migratedId);
    assert.deepEqual(inspect(fresh, schema1Ref).RootFS.Layers, fixtureDiffIds());
  });
}

test('the contrast: without tar-data the layers are rebuilt, so the registry image is new to the store', async () => {
  const { root, warnings } = await migratedGraph('vfs-no-tar-data', 'vfs', false);
  assert.equal(warnings.match(/no tar-split metadata/g)?.length, chain.length, warnings);
  const migrated = inspect(root, schema1Ref);
  for (const [i, diffId] of migrated.RootFS.Layers.entries())
    assert.notEqual(diffId, fixtureDiffIds()[i], `layer ${i} rebuilt with other bytes`);
  assert.notEqual(migrated.Id, dockerId);

  const records = layerRecords(root);
  shale(root, 'pull', '-q', ociRef);
  const added = [...layerRecords(root).keys()].filter((name) => !records.has(name));
  assert.ok(added.length > 0, 'the OCI pull registered layers of its own');
});
