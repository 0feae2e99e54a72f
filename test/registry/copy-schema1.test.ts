// `shale copy` from a schema1 image (Distribution with schema1 compatibility on, published by
// skopeo as signed v2s1): sent as the OCI manifest `shale pull` then `shale push` of it send (the
// same digest), its config the one a pull makes (the same image ID), its layers the same blobs;
// the digest change is said in a warning. A layer served with other bytes while its DiffID is
// learned fails the copy before anything is written.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ensureFixture } from '../../support/fixtures/image.ts';
import { DEFAULTS, PRESETS } from '../../support/fixtures/presets.ts';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.ts';
import { publish, remoteDigest } from '../helpers/publish.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { runShaleAsync } from '../helpers/shale.ts';

let registry: TestRegistry;
let proxy: FaultProxy;
let work: string;
let source: string;

before(async () => {
  work = fs.mkdtempSync(path.join(tmpdir(), 'shale-copy-schema1-'));
  const fixture = await ensureFixture({
    dir: path.join(work, 'small'),
    name: 'small',
    params: { ...DEFAULTS, ...PRESETS.small },
    log: () => undefined,
  });
  registry = await startRegistry({ schema1: true });
  source = `${registry.host}/legacy/small:s1`;
  await publish(path.join(fixture.dir, 'oci'), 'small', source, 'v2s1');
  proxy = await startFaultProxy(registry.host);
});

after(async () => {
  await proxy?.stop();
  await registry?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

/** The manifest `skopeo inspect --raw` reads at `ref`, parsed. */
async function rawManifest(ref: string): Promise<{
  mediaType: string;
  config: { digest: string };
  layers: { digest: string }[];
}> {
  const { stdout } = await promisify(execFile)('skopeo', [
    'inspect',
    '--raw',
    '--tls-verify=false',
    ref,
  ]);
  return JSON.parse(stdout);
}

test('a schema1 image is copied as the OCI manifest its pull and push make: same digest, image ID and layer blobs', async () => {
  const root = path.join(work, 'store');
  const copied = await runShaleAsync([
    '--root',
    root,
    'copy',
    `docker://${source}`,
    `docker://${registry.host}/copied/small:v1`,
  ]);
  assert.equal(copied.status, 0, copied.stderr);
  assert.match(
    copied.stderr,
    /^shale: warning: .*legacy\/small:s1 is a schema1 image: it is sent as the OCI manifest a pull and push of it make/m,
  );

  const pulled = await runShaleAsync(['--root', root, 'pull', '-q', source]);
  assert.equal(pulled.status, 0, pulled.stderr);
  const imageId = pulled.stdout.trim();
  const pushed = await runShaleAsync([
    '--root',
    root,
    'push',
    '-q',
    source,
    `${registry.host}/pushed/small:v1`,
  ]);
  assert.equal(pushed.status, 0, pushed.stderr);

  const copiedDigest = await remoteDigest(`${registry.host}/copied/small:v1`);
  assert.equal(copiedDigest, await remoteDigest(`${registry.host}/pushed/small:v1`));
  assert.equal(copied.stdout.trim(), `${registry.host}/copied/small:v1@${copiedDigest}`);
  const manifest = await rawManifest(`docker://${registry.host}/copied/small:v1`);
  assert.equal(manifest.mediaType, 'application/vnd.oci.image.manifest.v1+json');
  assert.equal(manifest.config.digest, imageId);

  // The layers are the schema1 blobs, base first, throwaway ones left out.
  const s1 = await rawManifest(`docker://${source}`);
  const { fsLayers, history } = s1 as unknown as {
    fsLayers: { blobSum: string }[];
    history: { v1Compatibility: string }[];
  };
  const kept = fsLayers
    .map((l, i) => ({ blob: l.blobSum, v1: JSON.parse(history[i]!.v1Compatibility) }))
    .reverse()
    .filter((l) => !l.v1.throwaway)
    .map((l) => l.blob);
  assert.deepEqual(
    manifest.layers.map((l) => l.digest),
    kept,
  );

  // Into the store and into a layout, the same.
  const intoStore = await runShaleAsync([
    '--root',
    path.join(work, 'store2'),
    'copy',
    '-q',
    `docker://${source}`,
    'store:local/small:v1',
  ]);
  assert.equal(intoStore.status, 0, intoStore.stderr);
  const inspected = await runShaleAsync([
    '--root',
    path.join(work, 'store2'),
    'inspect',
    '--format',
    '{{.Id}}',
    'local/small:v1',
  ]);
  assert.equal(inspected.stdout.trim(), imageId);
  const layout = path.join(work, 'layout');
  const intoLayout = await runShaleAsync(['copy', '-q', `docker://${source}`, `oci:${layout}:v1`]);
  assert.equal(intoLayout.status, 0, intoLayout.stderr);
  assert.equal((await rawManifest(`oci:${layout}:v1`)).config.digest, imageId);
});

test('a schema1 layer served with other bytes while its DiffID is learned fails the copy, nothing written', async () => {
  const s1 = (await rawManifest(`docker://${source}`)) as unknown as {
    fsLayers: { blobSum: string }[];
  };
  const layer = s1.fsLayers[0]!.blobSum;
  proxy.addRule({
    method: 'GET',
    path: new RegExp(`/blobs/${layer}$`),
    times: 1,
    fault: { kind: 'corrupt' },
  });
  const destination = `${registry.host}/hostile/small:v1`;
  const copied = await runShaleAsync([
    'copy',
    `docker://${proxy.host}/legacy/small:s1`,
    `docker://${destination}`,
  ]);
  assert.equal(copied.status, 1, copied.stderr);
  assert.match(copied.stderr, new RegExp(`^shale: .*${layer}.*hashes to`, 'm'));
  assert.doesNotMatch(copied.stderr, /\n\s+at /);
  await assert.rejects(remoteDigest(destination));
});
