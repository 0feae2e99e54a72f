// Legacy-ID reuse and probing of schema1 pulls (spec §3.4–3.5), against a real Distribution
// registry serving a schema1 image published by skopeo:
// * A: a Docker 1.8.0–1.8.2 graph that pulled the image (images under their remote v1 IDs, the
//   checksum file holding the blobSum, vfs rootfs trees) is migrated; pulling the image then
//   reuses every legacy image — no layer blob is fetched — and keeps the remote IDs.
// * A': the same with one image's checksum file altered: it and every image above it do not
//   validate, so those layers are fetched and get strong IDs; the ones below keep remote IDs.
// * B: after a pull, one stored image's checksum is altered; pulling again probes that position
//   (and those above, whose parent changed) to the next probe ID, fetching their layers, and the
//   old and new legacy entries both stay usable.
// Blob GETs are counted in the registry's access log.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ensureFixture } from '../../support/fixtures/image.ts';
import { DEFAULTS } from '../../support/fixtures/presets.ts';
import { parseDigest, type Digest } from '../../src/core/digest.ts';
import { nextProbeId } from '../../src/core/index.ts';
import { isThrowaway, strongIdChain } from '../../src/legacy/index.ts';
import { openStore } from '../../src/store/index.ts';
import { publish } from '../helpers/publish.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { runShale } from '../helpers/shale.ts';

const REPO = 'legacy/reuse';
const SCHEMA1 = 'application/vnd.docker.distribution.manifest.v1+prettyjws';
const TAG = 's1';

interface Manifest {
  fsLayers: { blobSum: string }[];
  history: { v1Compatibility: string }[];
}

let registry: TestRegistry;
let work: string;
let ref: string;
let manifest: Manifest;
/** Per manifest position (0 = top): remote v1 ID, strong ID hex, throwaway flag. */
let remoteIds: string[];
let strongIds: string[];
let throwaway: boolean[];

before(async () => {
  work = fs.mkdtempSync(path.join(tmpdir(), 'shale-schema1-reuse-'));
  const fixture = await ensureFixture({
    dir: path.join(work, 'fixture'),
    name: 'reuse',
    params: { ...DEFAULTS, layers: 4, files: 40, bytes: 1 << 20 },
    log: () => undefined,
  });
  registry = await startRegistry({ schema1: true });
  ref = `${registry.host}/${REPO}:${TAG}`;
  // As skopeo publishes it: history entries below the top carry no architecture/os, which Docker's
  // migration and `shale migrate` accept.
  await publish(path.join(fixture.dir, 'oci'), 'reuse', ref, 'v2s1');
  const response = await fetch(`http://${registry.host}/v2/${REPO}/manifests/${TAG}`, {
    headers: { accept: SCHEMA1 },
  });
  assert.equal(response.status, 200);
  manifest = (await response.json()) as Manifest;
  const v1 = manifest.history.map((h) => JSON.parse(h.v1Compatibility) as { id: string });
  remoteIds = v1.map((h) => h.id);
  throwaway = manifest.history.map((h) => isThrowaway(h.v1Compatibility));
  strongIds = strongIdChain(
    manifest.fsLayers.map(({ blobSum }, i) => ({
      blobSum,
      v1Compatibility: new TextEncoder().encode(manifest.history[i]!.v1Compatibility),
    })),
  ).map((link) => parseDigest(link.strongId).hex);
  // The test needs several real layers to alter one in the middle.
  assert.ok(manifest.history.length >= 3, `only ${manifest.history.length} history entries`);
  assert.ok(throwaway.filter((t) => !t).length >= 3);
  const blobs = path.join(work, 'blobs');
  fs.mkdirSync(blobs);
  for (const { blobSum } of manifest.fsLayers) {
    const file = path.join(blobs, parseDigest(blobSum).hex);
    if (fs.existsSync(file)) continue;
    const blob = await fetch(`http://${registry.host}/v2/${REPO}/blobs/${blobSum}`);
    assert.equal(blob.status, 200);
    fs.writeFileSync(file, Buffer.from(await blob.arrayBuffer()));
  }
});

after(async () => {
  await registry?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

/** Blob GETs for the image's layers the registry answered so far. */
function blobGets(): number {
  const log = fs.readFileSync(registry.logFile, 'utf8');
  const layerBlobs = new Set(manifest.fsLayers.map((l) => l.blobSum));
  let count = 0;
  for (const m of log.matchAll(/"GET \/v2\/([^ ]+)\/blobs\/(sha256:[0-9a-f]{64}) HTTP/g))
    if (m[1] === REPO && layerBlobs.has(m[2]!)) count++;
  return count;
}

/** Distinct layer blobs of the positions `0..top` (manifest order): what a pull must fetch. */
function blobsAtOrAbove(top: number): number {
  const blobs = new Set<string>();
  for (let i = 0; i <= top; i++) if (!throwaway[i]) blobs.add(manifest.fsLayers[i]!.blobSum);
  return blobs.size;
}

/**
 * The Docker 1.8.2 graph root after pulling the image: every image under its remote ID, `json` =
 * its v1Compatibility bytes, `checksum` = its blobSum, vfs trees accumulated layer by layer.
 */
function buildGraph(name: string, alterChecksumAt?: number): string {
  const root = path.join(work, name);
  let parentDir: string | undefined;
  for (let i = manifest.history.length - 1; i >= 0; i--) {
    const id = remoteIds[i]!;
    const graphDir = path.join(root, 'graph', id);
    const rootfs = path.join(root, 'vfs', 'dir', id);
    fs.mkdirSync(graphDir, { recursive: true });
    fs.mkdirSync(rootfs, { recursive: true });
    if (parentDir) execFileSync('cp', ['-a', `${parentDir}/.`, rootfs]);
    const blobSum = manifest.fsLayers[i]!.blobSum;
    const blob = path.join(work, 'blobs', parseDigest(blobSum).hex);
    execFileSync('tar', ['-xzf', blob, '-C', rootfs, '--numeric-owner', '--same-permissions']);
    const layerSize = Number(execFileSync('sh', ['-c', `gzip -dc '${blob}' | wc -c`]).toString());
    fs.writeFileSync(path.join(graphDir, 'json'), manifest.history[i]!.v1Compatibility);
    fs.writeFileSync(path.join(graphDir, 'layersize'), String(layerSize));
    fs.writeFileSync(
      path.join(graphDir, 'checksum'),
      i === alterChecksumAt ? `sha256:${'0'.repeat(64)}` : blobSum,
    );
    if (i < manifest.history.length - 1) {
      fs.writeFileSync(path.join(graphDir, 'parent'), remoteIds[i + 1]!);
    }
    parentDir = rootfs;
  }
  const repositories = { Repositories: { [`${registry.host}/${REPO}`]: { [TAG]: remoteIds[0] } } };
  fs.writeFileSync(path.join(root, 'repositories-vfs'), JSON.stringify(repositories));
  return root;
}

function legacyIdsOf(root: string, name: string): string[] {
  const r = runShale(['--root', root, 'inspect', '--json', name]);
  assert.equal(r.status, 0, r.stderr);
  return (JSON.parse(r.stdout) as [{ LegacyIds: string[] }])[0].LegacyIds;
}

function imageIdOf(root: string, name: string): string {
  const r = runShale(['--root', root, 'inspect', '--json', name]);
  assert.equal(r.status, 0, r.stderr);
  return (JSON.parse(r.stdout) as [{ Id: string }])[0].Id;
}

function migrateAndPull(name: string, alterChecksumAt?: number): { root: string; gets: number } {
  const graph = buildGraph(`graph-${name}`, alterChecksumAt);
  const root = path.join(work, `store-${name}`);
  const migrated = runShale(['--root', root, 'migrate', graph, '--json']);
  assert.equal(migrated.status, 0, migrated.stderr);
  const before = blobGets();
  const pulled = runShale(['--root', root, 'pull', '-q', ref]);
  assert.equal(pulled.status, 0, pulled.stderr);
  return { root, gets: blobGets() - before };
}

test('A: a migrated 1.8.2 graph is reused by a schema1 pull: no layer fetched, remote IDs kept', () => {
  const { root, gets } = migrateAndPull('a');
  assert.equal(gets, 0);
  assert.deepEqual(legacyIdsOf(root, ref), remoteIds);
  // Each remote ID names an image of the store.
  for (const id of remoteIds) assert.match(imageIdOf(root, id), /^sha256:[0-9a-f]{64}$/);
});

test("A': an image whose checksum file does not validate is not reused, nor any above it", () => {
  const altered = Math.floor(manifest.history.length / 2);
  const { root, gets } = migrateAndPull('a-altered', altered);
  assert.equal(gets, blobsAtOrAbove(altered));
  assert.ok(gets > 0);
  // Below the altered image the remote IDs; from it up the strong IDs (spec §3.4).
  const expected = remoteIds.map((id, i) => (i > altered ? id : strongIds[i]!));
  assert.deepEqual(legacyIdsOf(root, ref), expected);
  // The migrated images under the remote IDs are still there.
  for (const id of remoteIds) assert.match(imageIdOf(root, id), /^sha256:[0-9a-f]{64}$/);
});

test('B: a stored strong ID that no longer validates is probed; its layer and those above are fetched', async () => {
  const root = path.join(work, 'store-b');
  const first = blobGets();
  const pulled = runShale(['--root', root, 'pull', '-q', ref]);
  assert.equal(pulled.status, 0, pulled.stderr);
  assert.equal(blobGets() - first, blobsAtOrAbove(manifest.history.length - 1));
  assert.deepEqual(legacyIdsOf(root, ref), strongIds);

  // Alter the checksum file of a middle image; drop the blobs of it and the images above (else
  // the store would have them by digest and nothing would be fetched either way).
  const altered = Math.floor(manifest.history.length / 2);
  const badChecksum = `sha256:${'0'.repeat(64)}`;
  const store = await openStore(root);
  await store.legacy.setChecksum(strongIds[altered]!, badChecksum);
  for (let i = 0; i <= altered; i++) {
    if (!throwaway[i]) await store.layers.removeBlob(manifest.fsLayers[i]!.blobSum as Digest);
  }

  const second = blobGets();
  const again = runShale(['--root', root, 'pull', '-q', ref]);
  assert.equal(again.status, 0, again.stderr);
  assert.equal(again.stdout, pulled.stdout, 'same image');
  assert.equal(blobGets() - second, blobsAtOrAbove(altered));

  // The altered position is probed; those above it too (their stored parent is no longer the
  // ID chosen for their parent); those below keep their strong IDs.
  const expected = strongIds.map((id, i) => (i <= altered ? nextProbeId(id) : id));
  for (let i = 0; i <= altered; i++) assert.notEqual(expected[i], strongIds[i]);
  const all = legacyIdsOf(root, ref);
  for (const id of [...expected, ...strongIds]) assert.ok(all.includes(id), `${id} listed`);
  assert.equal(all.length, new Set([...expected, ...strongIds]).size);

  // Old and new entries are both intact.
  const reopened = await openStore(root);
  assert.equal(await reopened.legacy.checksum(strongIds[altered]!), badChecksum);
  assert.equal(
    await reopened.legacy.checksum(expected[altered]!),
    manifest.fsLayers[altered]!.blobSum,
  );
  const newEntry = await reopened.legacy.get(expected[altered]!);
  assert.equal(newEntry?.parent, expected[altered + 1]);
  for (const id of [strongIds[altered]!, expected[altered]!, expected[0]!, strongIds[0]!])
    assert.equal(imageIdOf(root, id), pulled.stdout.trim());
});
