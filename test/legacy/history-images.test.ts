// The v1 images of a legacy save for an image without legacy IDs: one per history entry, and
// loading them the way Docker 1.10+ loads a legacy archive (migrateLegacyImage, checked against
// Docker's vectors elsewhere) gives every history entry's created_by back — also for a config
// without container_config (not built by Docker's classic builder) and one without history.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { Digest } from '../../src/core/digest.ts';
import {
  EMPTY_LAYER_DIFF_ID,
  EMPTY_LAYER_TAR,
  legacyHistoryImages,
  migrateLegacyImage,
  type MigratedImage,
} from '../../src/legacy/index.ts';

const diffId = (n: number) => `sha256:${String(n).repeat(64)}` as Digest;
const encode = (value: unknown) => Buffer.from(JSON.stringify(value));

/** Load the images as Docker's legacy load does; each empty layer as the empty tar. */
function load(config: Uint8Array, diffIds: Digest[]): MigratedImage {
  let migrated: MigratedImage | undefined;
  for (const image of legacyHistoryImages(config)) {
    const layer = image.layer === undefined ? EMPTY_LAYER_DIFF_ID : diffIds[image.layer]!;
    migrated = migrateLegacyImage(image.json, layer, migrated);
  }
  return migrated!;
}

test('the empty layer tar hashes to its DiffID', () => {
  const hex = createHash('sha256').update(EMPTY_LAYER_TAR).digest('hex');
  assert.equal(`sha256:${hex}`, EMPTY_LAYER_DIFF_ID);
});

test('one v1 image per history entry; a top entry not in container_config survives', () => {
  const diffIds = [diffId(1), diffId(2)];
  const history = [
    { created: '2024-01-01T00:00:00Z', created_by: 'ADD base', comment: 'base' },
    { created: '2024-01-02T00:00:00Z', created_by: 'ENV A=1', empty_layer: true },
    { created: '2024-01-03T00:00:00Z', created_by: 'RUN make' },
    { created: '2024-01-04T00:00:00Z', created_by: 'HEALTHCHECK x', empty_layer: true },
  ];
  const config = encode({
    architecture: 'amd64',
    os: 'linux',
    created: '2024-01-04T00:00:00Z',
    // without it, loading re-encodes the JSON through 1.10's structures (spec §4.4)
    docker_version: '20.10.24',
    config: { Healthcheck: { Test: ['CMD', 'x'] }, Shell: ['/bin/bash', '-c'] },
    rootfs: { type: 'layers', diff_ids: diffIds },
    history,
  });
  const images = legacyHistoryImages(config);
  assert.deepEqual(
    images.map((i) => i.layer),
    [0, undefined, 1, undefined],
  );
  images.forEach((image, i) => assert.equal(image.parent, images[i - 1]?.id));
  assert.equal(new Set(images.map((i) => i.id)).size, 4);
  const loaded = load(config, diffIds);
  assert.deepEqual(
    loaded.history.map((h) => [h.created_by, h.comment]),
    history.map((h) => [h.created_by, h.comment ?? '']),
  );
  const top = JSON.parse(Buffer.from(loaded.config).toString()) as Record<string, unknown>;
  assert.deepEqual(top.config, {
    Healthcheck: { Test: ['CMD', 'x'] },
    Shell: ['/bin/bash', '-c'],
  });
  assert.deepEqual(loaded.diffIds, [
    diffIds[0],
    EMPTY_LAYER_DIFF_ID,
    diffIds[1],
    EMPTY_LAYER_DIFF_ID,
  ]);
});

test('without history: one image per layer, the top holding the config', () => {
  const diffIds = [diffId(3), diffId(4)];
  const config = encode({
    os: 'linux',
    config: { Cmd: ['sh'] },
    rootfs: { type: 'layers', diff_ids: diffIds },
  });
  const images = legacyHistoryImages(config);
  assert.deepEqual(
    images.map((i) => i.layer),
    [0, 1],
  );
  assert.deepEqual(load(config, diffIds).diffIds, diffIds);
  const layerless = encode({ rootfs: { type: 'layers', diff_ids: [] } });
  assert.throws(() => legacyHistoryImages(layerless), /without layers/);
});
