// Messages that say what is really wrong: sha512 digests are verified with sha512 (an image named
// entirely by sha512 pulls; one whose bytes do not match is refused as such), and an index whose
// entry for the platform is itself an index says so instead of "no image for linux/amd64 (it
// offers linux/amd64)".
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  assertCleanFailure,
  pull,
  storeState,
  storeWithAnImage,
  withUnchangedStore,
} from '../helpers/hostile-pull.ts';
import {
  MEDIA,
  digestOf,
  startHostileRegistry,
  smallImage,
  type HostileRegistry,
} from '../helpers/hostile-registry.ts';

let registry: HostileRegistry;

before(async () => {
  registry = await startHostileRegistry();
});

after(() => registry.stop());

test('an image whose manifest, config and layer are named by sha512 pulls, each verified by sha512', async () => {
  const image = await smallImage(registry, 'sha512', { algorithm: 'sha512' });
  assert.match(image.manifestDigest, /^sha512:[0-9a-f]{128}$/);
  const { root, cleanup } = await storeWithAnImage();
  try {
    const run = await pull(root, registry.host, 'sha512');
    assert.equal(run.status, 0, run.stderr);
    const { images } = await storeState(root);
    assert.ok(images.includes(image.manifestDigest), images);
  } finally {
    cleanup();
  }
});

test('a sha512-named manifest whose bytes hash to something else is refused, naming sha512', async () => {
  const image = await smallImage(registry, 'sha512-lie', { algorithm: 'sha512' });
  const forged = Buffer.from(
    image.manifest.toString().replace('"schemaVersion":2', '"schemaVersion": 2'),
  );
  registry.misbehave((req, res, route) => {
    if (route.kind !== 'manifest' || route.reference !== image.manifestDigest) return false;
    res.writeHead(200, {
      'content-type': MEDIA.manifest,
      'docker-content-digest': image.manifestDigest,
    });
    res.end(req.method === 'HEAD' ? undefined : forged);
    return true;
  });
  await withUnchangedStore(async (root) => {
    const run = await pull(root, registry.host, 'sha512-lie');
    assertCleanFailure(
      run,
      new RegExp(
        `manifest ${image.manifestDigest} from .* hashes to ${digestOf(forged, 'sha512')}; refusing it`,
      ),
    );
  });
  registry.misbehave(undefined);
});

test('an index whose only entry is another index says so', async () => {
  const image = await smallImage(registry, 'inner');
  const platform = { os: 'linux', architecture: process.arch === 'x64' ? 'amd64' : process.arch };
  const inner = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA.index,
      manifests: [
        {
          mediaType: MEDIA.manifest,
          size: image.manifest.length,
          digest: image.manifestDigest,
          platform,
        },
      ],
    }),
  );
  const innerDigest = registry.addManifest(inner, MEDIA.index);
  const outer = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA.index,
      manifests: [{ mediaType: MEDIA.index, size: inner.length, digest: innerDigest, platform }],
    }),
  );
  registry.addManifest(outer, MEDIA.index, 'nested');
  await withUnchangedStore(async (root) => {
    const from = registry.requests.length;
    const run = await pull(root, registry.host, 'nested');
    assertCleanFailure(
      run,
      new RegExp(
        `its entry for linux/${platform.architecture} is itself an index \\(${innerDigest}\\); nested indexes are not supported`,
      ),
    );
    assert.equal(registry.requests.slice(from).filter((r) => r.kind === 'blob').length, 0);
  });
});
