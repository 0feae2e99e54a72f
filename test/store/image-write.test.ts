// The one way images enter the store (commit-image.ts): a failed write takes back exactly what it
// added and nothing another writer uses; a collection during a write spares what it wrote or
// reused; tag and rmi of one image never leave a reference to a missing image; loads of one
// archive at once do not disturb each other.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Digest } from '../../src/core/digest.ts';
import { parseDockerRef } from '../../src/core/reference.ts';
import { saveImages } from '../../src/formats/index.ts';
import { loadArchive } from '../../src/formats/load/index.ts';
import {
  collectGarbage,
  openStore,
  removeImage,
  writeImages,
  type ImageWrite,
  type Store,
} from '../../src/store/index.ts';
import { tarBytes } from '../../support/tar-bytes.ts';

async function freshStore(): Promise<Store> {
  return openStore(path.join(mkdtempSync(path.join(tmpdir(), 'shale-write-')), 'store'));
}

/** A gzip layer blob holding one file, stored through `write`. */
async function storeLayerBlob(write: ImageWrite, name: string): Promise<Digest> {
  const tar = await tarBytes([{ header: { name, size: name.length }, body: Buffer.from(name) }]);
  const gzip = spawnSync('gzip', ['-c', '-n'], { input: tar }).stdout;
  const stored = await write.store.content.put(gzip);
  await write.noteBlob(stored.digest, stored.existed);
  return stored.digest;
}

function configOf(diffIds: Digest[], comment: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      comment,
      rootfs: { type: 'layers', diff_ids: diffIds },
    }),
  );
}

/** Write an image of one layer per name; returns its ID. */
async function writeImage(store: Store, names: string[], ref?: string): Promise<Digest> {
  return writeImages(store, async (write) => {
    let top: Digest | undefined;
    const diffIds: Digest[] = [];
    for (const name of names) {
      const layer = await write.registerLayer(top, await storeLayerBlob(write, name));
      diffIds.push(layer.diffId);
      top = layer.chainId;
    }
    const image = await write.commit({
      config: configOf(diffIds, names.join('+')),
      ...(ref && { references: [parseDockerRef(ref)] }),
    });
    return image.id;
  });
}

async function contents(store: Store) {
  const blobs: string[] = [];
  for await (const b of store.content.list()) blobs.push(b);
  const layers: string[] = [];
  for await (const l of store.layers.list()) layers.push(l.chainId);
  return {
    blobs: blobs.sort(),
    layers: layers.sort(),
    images: await store.images.ids(),
    references: await store.references.all(),
    ingest: readdirSync(store.layout.ingestDir).sort(),
  };
}

test('a write that fails takes back its blobs, layers, image and references, and its scratch', async () => {
  const store = await freshStore();
  await writeImage(store, ['base'], 'x/kept:1');
  const before = await contents(store);
  await assert.rejects(
    writeImages(store, async (write) => {
      await write.scratch('test');
      const base = await write.registerLayer(undefined, await storeLayerBlob(write, 'base'));
      const top = await write.registerLayer(base.chainId, await storeLayerBlob(write, 'new'));
      await write.commit({
        config: configOf([base.diffId, top.diffId], 'doomed'),
        references: [parseDockerRef('x/kept:1'), parseDockerRef('x/doomed:1')],
      });
      throw new Error('the writer failed after committing');
    }),
    /the writer failed/,
  );
  assert.deepEqual(await contents(store), before);
});

test('a failed write leaves what another running write has reused', async () => {
  const store = await freshStore();
  let reusedByOther!: () => void;
  const otherReused = new Promise<void>((resolve) => (reusedByOther = resolve));
  let finishOther!: () => void;
  const otherMayFinish = new Promise<void>((resolve) => (finishOther = resolve));
  const other = writeImages(store, async (write) => {
    await otherReused; // the failing write stored the blob first
    const blob = await storeLayerBlob(write, 'shared');
    await otherMayFinish;
    const layer = await write.registerLayer(undefined, blob);
    return (await write.commit({ config: configOf([layer.diffId], 'other') })).id;
  });
  await assert.rejects(
    writeImages(store, async (write) => {
      await write.registerLayer(undefined, await storeLayerBlob(write, 'shared'));
      reusedByOther();
      await new Promise((resolve) => setTimeout(resolve, 50));
      throw new Error('failed');
    }),
    /failed/,
  );
  finishOther();
  const id = await other;
  const record = (await store.images.get(id))!;
  const [layer] = await store.layers.chain(record.topLayer!);
  assert.ok(layer, 'the other image keeps its layer');
  assert.equal((await store.layers.blobsOf(layer.diffId)).length, 1, 'and its blob');
});

test('a collection while a write is under way spares what the write stored and reused', async () => {
  const store = await freshStore();
  // An unreferenced layer from earlier (its image was removed): garbage until a write reuses it.
  const old = await writeImage(store, ['old'], 'x/old:1');
  await removeImage(store, 'x/old:1', { noPrune: true }).catch(() => undefined);
  assert.equal(await store.images.get(old), undefined);
  await new Promise((resolve) => setTimeout(resolve, 1100)); // file times older than the lease
  const id = await writeImages(store, async (write) => {
    const reused = await write.registerLayer(undefined, await storeLayerBlob(write, 'old'));
    const fresh = await write.registerLayer(reused.chainId, await storeLayerBlob(write, 'new'));
    const freed = await collectGarbage(store);
    assert.deepEqual(freed.layers, [], 'no layer of the write was collected');
    assert.deepEqual(freed.blobs, [], 'no blob of the write was collected');
    return (await write.commit({ config: configOf([reused.diffId, fresh.diffId], 'mine') })).id;
  });
  const record = (await store.images.get(id))!;
  assert.equal((await store.layers.chain(record.topLayer!)).length, 2);
  assert.deepEqual((await collectGarbage(store)).layers, []);
});

test('tag racing rmi of the same image never leaves a reference to a missing image', async () => {
  const store = await freshStore();
  for (let round = 0; round < 12; round++) {
    const id = await writeImage(store, ['layer'], `x/img:${round}`);
    const tag = store.references.tag(parseDockerRef(`x/other:${round}`), id).catch(() => 'gone');
    const rmi = removeImage(store, id, { force: true }).catch(() => undefined);
    await Promise.all([tag, rmi]);
    for (const [ref, target] of Object.entries(await store.references.all()))
      assert.ok(await store.images.get(target), `round ${round}: ${ref} names a missing image`);
  }
});

test('several loads of one docker-archive at once all succeed, with nothing left staged', async () => {
  const store = await freshStore();
  const id = await writeImage(store, ['a', 'b'], 'x/archived:1');
  const archive = path.join(store.layout.root, '..', 'image.tar');
  await saveImages(store, ['x/archived:1'], {
    format: 'docker',
    output: createWriteStream(archive),
  });
  const target = await freshStore();
  const results = await Promise.all(
    [1, 2, 3, 4].map(() => loadArchive(target, createReadStream(archive))),
  );
  for (const loaded of results)
    assert.deepEqual(
      loaded.map((l) => l.id),
      [id],
    );
  assert.deepEqual(await target.references.all(), { 'docker.io/x/archived:1': id });
  assert.deepEqual(
    readdirSync(target.layout.ingestDir).filter((n) => n.startsWith('scratch-')),
    [],
  );
});
