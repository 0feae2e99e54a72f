// `shale copy` from a schema1 image (Distribution with schema1 compatibility on, published by
// skopeo as signed v2s1): sent as the OCI manifest `shale pull` then `shale push` of it send (the
// same digest), its config the one a pull makes (the same image ID), its layers the same blobs;
// the digest change is said in a warning. A layer served with other bytes while its DiffID is
// learned fails the copy before anything is written, or, from a mirror, is read from the origin.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ensureFixture } from '../../support/fixtures/image.ts';
import { DEFAULTS, PRESETS } from '../../support/fixtures/presets.ts';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.ts';
import { publish, remoteDigest } from '../helpers/publish.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { runShaleAsync } from '../helpers/shale.ts';
import { skopeoRaw } from '../helpers/skopeo-inspect.ts';

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

interface RawManifest {
  mediaType: string;
  config: { digest: string };
  layers: { digest: string }[];
  /** Schema1 only. */
  fsLayers: { blobSum: string }[];
  history: { v1Compatibility: string }[];
}

/** The manifest `skopeo inspect --raw` reads at `ref`, parsed. */
async function rawManifest(ref: string): Promise<RawManifest> {
  return JSON.parse((await skopeoRaw(ref)).toString('utf8')) as RawManifest;
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
  const { fsLayers, history } = await rawManifest(`docker://${source}`);
  const throwaway = (i: number) =>
    (JSON.parse(history[i]!.v1Compatibility) as { throwaway?: boolean }).throwaway === true;
  const kept = fsLayers
    .map((l, i) => ({ blob: l.blobSum, throwaway: throwaway(i) }))
    .reverse()
    .filter((l) => !l.throwaway)
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
  const layer = (await rawManifest(`docker://${source}`)).fsLayers[0]!.blobSum;
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

  // The same damage from a mirror: passed over with a warning, the layer read from the origin.
  proxy.addRule({
    method: 'GET',
    path: new RegExp(`/blobs/${layer}$`),
    times: 1,
    fault: { kind: 'corrupt' },
  });
  const conf = path.join(work, 'registries.conf');
  fs.writeFileSync(
    conf,
    `[[registry]]\nprefix = "${registry.host}"\n[[registry.mirror]]\nlocation = "${proxy.host}"\n`,
  );
  const throughMirror = await runShaleAsync([
    '--registries-conf',
    conf,
    'copy',
    `docker://${source}`,
    `docker://${destination}`,
  ]);
  assert.equal(throughMirror.status, 0, throughMirror.stderr);
  assert.match(
    throughMirror.stderr,
    new RegExp(
      `^shale: warning: mirror ${proxy.host} failed to serve blob ${layer} \\(.*hashes to`,
      'm',
    ),
  );
  assert.equal(
    await remoteDigest(destination),
    await remoteDigest(`${registry.host}/copied/small:v1`),
  );
});
