// The legacy index: v1 IDs added atomically and idempotently, listed per image top first,
// resolving images by legacy ID or prefix, dropped with their image by gc; ID reuse and probing
// (spec §3.4) against it; TarSum computed lazily once and reused for checksum files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { tarsum } from '../../src/archive/tarsum/index.ts';
import type { Digest } from '../../src/core/digest.ts';
import { isShaleError } from '../../src/core/errors.ts';
import { nextProbeId } from '../../src/core/index.ts';
import {
  ensureLayerTarsum,
  ensureLegacyChecksum,
  findReusableOrFreeId,
  strongIdChain,
  validateLegacyEntry,
} from '../../src/legacy/index.ts';
import { collectGarbage, openStore, resolveImage, type Store } from '../../src/store/index.ts';
import { tarBytes } from '../../support/tar-bytes.ts';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);

async function freshStore(): Promise<Store> {
  return openStore(path.join(mkdtempSync(path.join(tmpdir(), 'shale-legacy-')), 'store'));
}

/** An image of one plain-tar layer holding `name`; returns its ID and layer ChainID. */
async function oneLayerImage(store: Store, name: string) {
  const tar = await tarBytes([{ header: { name, size: name.length }, body: Buffer.from(name) }]);
  const blob = (await store.content.put(tar)).digest;
  const layer = await store.layers.registerBlob(undefined, blob);
  const config = Buffer.from(
    JSON.stringify({
      os: 'linux',
      architecture: 'amd64',
      rootfs: { type: 'layers', diff_ids: [layer.diffId] },
    }),
  );
  return { id: (await store.images.create(config)).id, layer: layer.chainId, tar };
}

test('entries are added once, listed top first, and resolve their image', async () => {
  const store = await freshStore();
  const { id, layer } = await oneLayerImage(store, 'one');
  await store.legacy.add({ id: A, layer, image: id, json: Buffer.from('{"id":"a"}') });
  const again = await store.legacy.add({ id: A, layer, image: id, json: Buffer.from('other') });
  assert.equal(again.image, id);
  assert.equal((await store.legacy.json(A)).toString(), '{"id":"a"}', 'an existing entry is kept');
  await store.legacy.add({ id: B, parent: A, layer, image: id, json: Buffer.from('{}') });
  assert.deepEqual(await store.legacy.idsOf(id), [B, A]);
  assert.equal(await resolveImage(store, B), id);
  assert.equal(await resolveImage(store, 'bbbbbbbb'), id);
  assert.equal(await store.legacy.checksum(A), undefined);
  await assert.rejects(resolveImage(store, 'c'.repeat(64)), (e) =>
    isShaleError(e, 'ERR_NOT_FOUND'),
  );
  await assert.rejects(
    store.legacy.add({ id: '../x', layer, image: id, json: Buffer.from('{}') }),
    /not a legacy image ID/,
  );
  assert.deepEqual(readdirSync(path.join(store.layout.metaDir, 'legacy', 'tmp')), []);
});

test('a legacy prefix naming two images is ambiguous', async () => {
  const store = await freshStore();
  const one = await oneLayerImage(store, 'one');
  const two = await oneLayerImage(store, 'two');
  await store.legacy.add({
    id: `${'d'.repeat(63)}1`,
    layer: one.layer,
    image: one.id,
    json: Buffer.from('{}'),
  });
  await store.legacy.add({
    id: `${'d'.repeat(63)}2`,
    layer: two.layer,
    image: two.id,
    json: Buffer.from('{}'),
  });
  await assert.rejects(store.legacy.resolve('ddd'), /ambiguous/);
});

test('gc drops the legacy entries of removed images and keeps the others', async () => {
  const store = await freshStore();
  const one = await oneLayerImage(store, 'one');
  const two = await oneLayerImage(store, 'two');
  await store.legacy.add({ id: A, layer: one.layer, image: one.id, json: Buffer.from('{}') });
  await store.legacy.add({ id: B, layer: two.layer, image: two.id, json: Buffer.from('{}') });
  await store.images.delete(one.id);
  await collectGarbage(store);
  assert.deepEqual(await store.legacy.ids(), [B]);
  assert.deepEqual(await store.legacy.images(), [two.id]);
});

test('TarSum v1 is computed lazily once, recorded on the layer and fills the checksum file', async () => {
  const store = await freshStore();
  const { id, layer, tar } = await oneLayerImage(store, 'lazy');
  await store.legacy.add({ id: A, layer, image: id, json: Buffer.from('{}') });
  assert.equal((await store.layers.get(layer))!.tarsum, undefined);
  const expected = await tarsum(Readable.from([tar]), { version: 'v1' });
  assert.equal(await ensureLegacyChecksum(store, A), expected);
  assert.equal((await store.layers.get(layer))!.tarsum, expected);
  assert.equal(await store.legacy.checksum(A), expected);
  await store.layers.setTarsum(layer, 'tarsum.v1+sha256:recorded');
  assert.equal(await ensureLayerTarsum(store, layer), 'tarsum.v1+sha256:recorded', 'reused');
});

/** A two-image schema1 chain (manifest order: top first) and its strong IDs. */
function schema1Chain() {
  const v1 = (id: string, parent?: string) =>
    Buffer.from(
      JSON.stringify({
        id,
        ...(parent && { parent }),
        created: '2015-10-31T22:22:54.690851953Z',
        container_config: { Cmd: ['sh'] },
        docker_version: '1.9.1',
      }),
    );
  const layers = [
    { v1Compatibility: v1(B, A), blobSum: `sha256:${'2'.repeat(64)}` },
    { v1Compatibility: v1(A), blobSum: `sha256:${'1'.repeat(64)}` },
  ];
  return { layers, links: strongIdChain(layers) };
}

async function addPulled(
  store: Store,
  image: Digest,
  layer: Digest,
  entry: { id: string; parent?: string; v1Compatibility: Buffer; checksum: string },
) {
  await store.legacy.add({ ...entry, layer, image, json: Buffer.from('{}') });
}

test('findReusableOrFreeId reuses legacy IDs that validate and allocates strong IDs otherwise', async () => {
  const store = await freshStore();
  const { layers, links } = schema1Chain();
  const fresh = await findReusableOrFreeId(store.legacy, links);
  assert.deepEqual(fresh, [
    { id: links[0]!.strongId.slice(7), parent: links[1]!.strongId.slice(7), exists: false },
    { id: links[1]!.strongId.slice(7), exists: false },
  ]);
  const { id, layer } = await oneLayerImage(store, 'x');
  await addPulled(store, id, layer, {
    id: A,
    v1Compatibility: layers[1]!.v1Compatibility,
    checksum: layers[1]!.blobSum,
  });
  await addPulled(store, id, layer, {
    id: B,
    parent: A,
    v1Compatibility: layers[0]!.v1Compatibility,
    checksum: layers[0]!.blobSum,
  });
  assert.deepEqual(await findReusableOrFreeId(store.legacy, links), [
    { id: B, parent: A, exists: true },
    { id: A, exists: true },
  ]);
  assert.equal(
    await validateLegacyEntry(store.legacy, B, { strongId: links[0]!.strongId }),
    false,
    'a parent is required above the base',
  );
});

test('a strong ID taken by an entry that does not validate is probed onward', async () => {
  const store = await freshStore();
  const { layers, links } = schema1Chain();
  const { id, layer } = await oneLayerImage(store, 'y');
  const baseStrong = links[1]!.strongId.slice(7);
  await addPulled(store, id, layer, {
    id: baseStrong,
    v1Compatibility: layers[1]!.v1Compatibility,
    checksum: `sha256:${'f'.repeat(64)}`, // not the blobSum: does not validate
  });
  await addPulled(store, id, layer, {
    id: A,
    v1Compatibility: layers[1]!.v1Compatibility,
    checksum: layers[1]!.blobSum,
  });
  const chosen = await findReusableOrFreeId(store.legacy, links);
  assert.deepEqual(chosen[1], { id: nextProbeId(baseStrong), exists: false });
  assert.deepEqual(
    chosen[0],
    {
      id: links[0]!.strongId.slice(7),
      parent: nextProbeId(baseStrong),
      exists: false,
    },
    'once a probe happened, legacy IDs are not reused above it',
  );
  assert.ok(!chosen.some((c) => c.id === A));
});
