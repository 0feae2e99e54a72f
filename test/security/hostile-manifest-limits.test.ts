// Limits checked late: everything a manifest or config states — layer count, config size, media
// types, one DiffID per layer — is checked before the first layer request (and, for
// what the manifest alone states, before the config request), so a hostile manifest costs no
// blob traffic. Each case counts the blob requests the registry received.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import { assertCleanFailure, pull, withUnchangedStore } from '../helpers/hostile-pull.ts';
import {
  MEDIA,
  startHostileRegistry,
  smallImage,
  type HostileRegistry,
} from '../helpers/hostile-registry.ts';

let registry: HostileRegistry;

before(async () => {
  registry = await startHostileRegistry();
});

after(() => registry.stop());

/** Pulls `tag`, expects a clean failure matching `pattern`, returns the blob GETs it caused. */
async function refusedPull(tag: string, pattern: RegExp): Promise<string[]> {
  let blobs: string[] = [];
  await withUnchangedStore(async (root) => {
    const from = registry.requests.length;
    const run = await pull(root, registry.host, tag);
    assertCleanFailure(run, pattern);
    blobs = registry.requests
      .slice(from)
      .filter((r) => r.kind === 'blob')
      .map((r) => r.path);
  });
  return blobs;
}

test('a manifest with 5000 layers is refused before any blob request', async () => {
  await smallImage(registry, 'many', {
    edit: (m) => {
      m.layers = Array.from({ length: 5000 }, (_, i) => ({
        mediaType: MEDIA.layer,
        size: 1000,
        digest: `sha256:${createHash('sha256').update(`layer ${i}`).digest('hex')}`,
      }));
    },
  });
  const blobs = await refusedPull('many', /has 5000 layers; an image may have at most 125/);
  assert.deepEqual(blobs, []);
});

test('a config that is not an image config (a Helm chart) is refused before any blob request', async () => {
  await smallImage(registry, 'helm', {
    edit: (m) => void (m.config.mediaType = 'application/vnd.cncf.helm.config.v1+json'),
  });
  const blobs = await refusedPull(
    'helm',
    /is not a container image: its config has media type application\/vnd\.cncf\.helm/,
  );
  assert.deepEqual(blobs, []);
});

test('a layer whose media type is not an image layer is refused before any blob request', async () => {
  await smallImage(registry, 'notlayer', {
    edit: (m) => void (m.layers[0]!.mediaType = 'application/vnd.example.payload'),
  });
  const blobs = await refusedPull(
    'notlayer',
    /layer 1 \(sha256:\w+\) has media type application\/vnd\.example\.payload, which is not an image layer/,
  );
  assert.deepEqual(blobs, []);
});

test('a config stated larger than 8 MiB is refused before any blob request', async () => {
  await smallImage(registry, 'hugeconfig', {
    edit: (m) => void (m.config.size = 1 << 30),
  });
  const blobs = await refusedPull(
    'hugeconfig',
    /states a config of 1073741824 bytes; at most 8388608 are read/,
  );
  assert.deepEqual(blobs, []);
});

test('a config listing fewer diff_ids than the manifest has layers: no layer request', async () => {
  const image = await smallImage(registry, 'fewer', {
    config: (c) => {
      (c.rootfs as { diff_ids: string[] }).diff_ids = [];
      c.history = [];
    },
  });
  const blobs = await refusedPull('fewer', /the manifest lists 1 layers but the config 0 diff_ids/);
  assert.deepEqual(blobs, [`/v2/hostile/app/blobs/${image.configDigest}`]);
});
