// Reference counting without counters: rmi keeps what other images share, prune removes exactly
// what nothing references, and a live lease protects a load in progress.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Digest } from '../../src/core/digest.ts';
import { isShaleError } from '../../src/core/errors.ts';
import { parseDockerRef } from '../../src/core/reference.ts';
import {
  checkStore,
  collectGarbage,
  openStore,
  prune,
  removeImage,
  touch,
  withLease,
  type Store,
} from '../../src/store/index.ts';
import { tarBytes } from '../../support/tar-bytes.ts';

async function layerBlob(store: Store, name: string): Promise<Digest> {
  const tar = await tarBytes([{ header: { name, size: name.length }, body: Buffer.from(name) }]);
  return (await store.content.put(spawnSync('gzip', ['-c', '-n'], { input: tar }).stdout)).digest;
}

async function image(
  store: Store,
  blobs: Digest[],
  comment: string,
  parent?: Digest,
): Promise<Digest> {
  let top: Digest | undefined;
  const diffIds: Digest[] = [];
  for (const blob of blobs) {
    const layer = await store.layers.registerBlob(top, blob);
    diffIds.push(layer.diffId);
    top = layer.chainId;
  }
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      comment,
      rootfs: { type: 'layers', diff_ids: diffIds },
    }),
  );
  return (await store.images.create(config, { parent })).id;
}

async function blobSet(store: Store): Promise<Set<string>> {
  const set = new Set<string>();
  for await (const b of store.content.list()) set.add(b);
  return set;
}

async function twoImagesSharingABase() {
  const store = await openStore(path.join(mkdtempSync(path.join(tmpdir(), 'shale-gc-')), 'store'));
  const [base, one, two] = [
    await layerBlob(store, 'base'),
    await layerBlob(store, 'one'),
    await layerBlob(store, 'two'),
  ];
  const first = await image(store, [base, one], 'first');
  const second = await image(store, [base, two], 'second');
  await store.references.set(parseDockerRef('x/first'), first);
  await store.references.set(parseDockerRef('x/second'), second);
  return { store, base, one, two, first, second };
}

test('rmi of one of two images sharing a layer keeps the shared blobs and frees the rest', async () => {
  const { store, base, one, two, first, second } = await twoImagesSharingABase();
  const secondManifest = (await store.images.get(second))!.manifest!.digest;
  const result = await removeImage(store, 'x/first');
  assert.deepEqual(result.untagged, ['docker.io/x/first:latest']);
  assert.deepEqual(
    result.deleted.map((d) => d.id),
    [first],
  );
  assert.ok(result.freed.blobs.includes(one) && result.freed.blobs.includes(first));
  const left = await blobSet(store);
  for (const kept of [base, two, second, secondManifest]) assert.ok(left.has(kept), `${kept} kept`);
  assert.equal(left.has(one), false);
  assert.equal(left.size, 4);
  const layers = [];
  for await (const l of store.layers.list()) layers.push(l.chainId);
  assert.equal(layers.length, 2, 'base and base+two');
  assert.deepEqual(await prune(store), {
    ...{
      images: [],
      layers: [],
      blobs: [],
      bytes: 0,
      leftovers: { count: 0, bytes: 0 },
      removed: [],
    },
  });
});

test('a second reference is only untagged; by ID it needs --force; a parent named by its tag is only untagged', async () => {
  const { store, first } = await twoImagesSharingABase();
  await store.references.set(parseDockerRef('x/alias'), first);
  assert.deepEqual((await removeImage(store, 'x/alias')).deleted, []);
  await store.references.set(parseDockerRef('x/alias'), first);
  await assert.rejects(
    removeImage(store, first),
    (e) =>
      isShaleError(e, 'ERR_NEEDS_FORCE') &&
      / \(must be forced\) - image is referenced in multiple repositories$/.test(e.message),
  );
  const child = await image(store, [await layerBlob(store, 'base')], 'child', first);
  assert.ok(child);
  await store.references.delete(['docker.io/x/alias:latest']);
  // Docker's rule: by name, the reference goes; the image stays while it is a parent.
  const untagged = await removeImage(store, 'x/first');
  assert.deepEqual([untagged.untagged, untagged.deleted], [['docker.io/x/first:latest'], []]);
  await assert.rejects(
    removeImage(store, first),
    (e) => isShaleError(e, 'ERR_NEEDS_FORCE') && /dependent child images/.test(e.message),
  );
  const forced = await removeImage(store, first, { force: true });
  assert.deepEqual(
    forced.deleted.map((d) => d.id),
    [first],
  );
});

test('rmi of a child deletes the parents it leaves untagged and childless, top down, unless noPrune', async () => {
  const { store, base, first } = await twoImagesSharingABase();
  // first ← middle ← top, where middle is untagged; first stays tagged.
  const middle = await image(store, [base, await layerBlob(store, 'mid')], 'middle', first);
  const top = await image(
    store,
    [base, await layerBlob(store, 'mid'), await layerBlob(store, 'top')],
    'top',
    middle,
  );
  await store.references.set(parseDockerRef('x/top'), top);
  const result = await removeImage(store, 'x/top');
  assert.deepEqual(
    result.deleted.map((d) => d.id),
    [top, middle],
    'the untagged middle goes; the tagged first stays',
  );
  assert.equal(result.deleted[0]!.layers.length, 1, "top's own layer");
  assert.equal(result.deleted[1]!.layers.length, 1, "middle's own layer");
  assert.ok(await store.images.get(first));

  const kept = await image(store, [base, await layerBlob(store, 'mid')], 'middle', first);
  const child = await image(
    store,
    [base, await layerBlob(store, 'mid'), await layerBlob(store, 'top')],
    'top',
    kept,
  );
  await store.references.set(parseDockerRef('x/top'), child);
  const noPrune = await removeImage(store, 'x/top', { noPrune: true });
  assert.deepEqual(
    noPrune.deleted.map((d) => d.id),
    [child],
  );
  assert.ok(await store.images.get(kept), 'the parent stays with noPrune');
});

test('prune removes dangling images and exactly the unreferenced content; --dry-run removes nothing', async () => {
  const { store, second } = await twoImagesSharingABase();
  const dangling = await image(store, [await layerBlob(store, 'dangling')], 'dangling');
  const before = await blobSet(store);
  const dry = await prune(store, { dryRun: true });
  assert.deepEqual(dry.images, [dangling]);
  assert.equal(dry.blobs.length, 2, 'its config and its layer blob');
  assert.ok(dry.bytes > 0);
  assert.deepEqual(await blobSet(store), before);
  const real = await prune(store);
  assert.deepEqual(real.blobs.sort(), dry.blobs.sort());
  assert.deepEqual(
    await store.images.ids(),
    [...(await store.images.ids())].filter((id) => id !== dangling),
  );
  assert.ok((await store.images.get(second)) !== undefined);
  const after = await blobSet(store);
  assert.equal(after.size, before.size - 2);
});

test('blobs written under a live lease survive a concurrent collection', async () => {
  const { store } = await twoImagesSharingABase();
  await withLease(store.layout, async () => {
    const fresh = await layerBlob(store, 'in-flight');
    const freed = await collectGarbage(store);
    assert.equal(freed.blobs.includes(fresh), false);
    assert.ok(await store.content.has(fresh));
  });
  const freed = await collectGarbage(store);
  assert.equal(freed.blobs.length, 1, 'once the lease is gone the orphan goes');
  assert.deepEqual(readdirSync(path.join(store.layout.metaDir, 'leases')), []);
});

/** A chain of layers no image uses, each record and blob last written an hour ago. */
async function unusedChain(store: Store, names: string[]): Promise<Digest[]> {
  const chain: Digest[] = [];
  const anHourAgo = new Date(Date.now() - 3600_000);
  for (const name of names) {
    const blob = await layerBlob(store, name);
    const layer = await store.layers.registerBlob(chain.at(-1), blob);
    utimesSync(store.layers.recordPath(layer.chainId), anHourAgo, anHourAgo);
    utimesSync(store.content.blobPath(blob), anHourAgo, anHourAgo);
    chain.push(layer.chainId);
  }
  return chain;
}

test('a layer a running writer uses keeps every layer under it, and their blobs', async () => {
  const { store } = await twoImagesSharingABase();
  const [bottom, middle, top] = await unusedChain(store, ['p', 'q', 'r']);
  await withLease(store.layout, async () => {
    // The writer reused the top layer after the collection could judge its parents unused.
    await touch(store.layers.recordPath(top!));
    await collectGarbage(store);
  });
  for (const chainId of [bottom!, middle!, top!]) {
    const layer = await store.layers.get(chainId);
    assert.ok(layer, `layer ${chainId} kept`);
    for (const blob of await store.layers.blobsOf(layer.diffId))
      assert.ok(await store.content.has(blob), `blob of ${chainId} kept`);
  }
  assert.deepEqual(
    (await checkStore(store)).problems.filter((p) => p.kind !== 'leftover'),
    [],
  );
  const freed = await collectGarbage(store);
  assert.deepEqual(new Set(freed.layers), new Set([bottom, middle, top]));
});

test('collection removes a child layer before its parent, so a kill between leaves no orphan', async () => {
  const { store } = await twoImagesSharingABase();
  const chains = [
    await unusedChain(store, ['a1', 'a2', 'a3', 'a4']),
    await unusedChain(store, ['b1', 'b2', 'b3', 'b4']),
  ];
  const removed: Digest[] = [];
  const remove = store.layers.delete.bind(store.layers);
  store.layers.delete = async (chainId) => {
    removed.push(chainId);
    await remove(chainId);
  };
  await collectGarbage(store);
  for (const chain of chains) {
    assert.deepEqual(
      removed.filter((c) => chain.includes(c)),
      [...chain].reverse(),
      'top first, base last',
    );
  }
});

test('a layer in use whose parent is already gone is garbage all the same', async () => {
  const { store } = await twoImagesSharingABase();
  const [bottom, top] = await unusedChain(store, ['lost-parent', 'orphan']);
  await store.layers.delete(bottom!);
  await withLease(store.layout, async () => {
    await touch(store.layers.recordPath(top!));
    const freed = await collectGarbage(store);
    assert.deepEqual(freed.layers, [top]);
  });
  assert.equal(await store.layers.get(top!), undefined);
  assert.deepEqual(
    (await checkStore(store)).problems.filter((p) => p.kind !== 'leftover'),
    [],
  );
});
