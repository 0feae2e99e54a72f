// The image store: IDs from config bytes, layers required first, parents, ID prefixes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { asDigest } from '../../src/core/digest.ts';
import { isShaleError } from '../../src/core/errors.ts';
import { openStore } from '../../src/store/index.ts';
import { tarBytes } from '../../support/tar-bytes.ts';

const sha256 = (b: Uint8Array) =>
  asDigest(`sha256:${createHash('sha256').update(b).digest('hex')}`);
const config = (diffIds: string[], extra: object = {}) =>
  Buffer.from(
    JSON.stringify(
      {
        architecture: 'amd64',
        os: 'linux',
        rootfs: { type: 'layers', diff_ids: diffIds },
        ...extra,
      },
      null,
      1,
    ),
  );

async function storeWithLayer() {
  const store = await openStore(
    path.join(mkdtempSync(path.join(tmpdir(), 'shale-images-')), 'store'),
  );
  const tar = await tarBytes([{ header: { name: 'hello', size: 2 }, body: Buffer.from('hi') }]);
  const { digest } = await store.content.put(tar);
  const layer = await store.layers.registerBlob(undefined, digest);
  return { store, layer };
}

test('an image is named by the digest of its exact config bytes, kept verbatim as a blob', async () => {
  const { store, layer } = await storeWithLayer();
  const bytes = config([layer.diffId]);
  const record = await store.images.create(bytes);
  assert.equal(record.id, sha256(bytes));
  assert.equal(record.topLayer, layer.chainId);
  assert.ok(readFileSync(store.content.blobPath(record.id)).equals(bytes));
  assert.deepEqual((await store.images.config(record.id)).config.rootfs.diff_ids, [layer.diffId]);
  assert.deepEqual(await store.images.create(bytes), record, 'creating again finds the same image');
  assert.deepEqual(await store.images.ids(), [record.id]);
});

test('an image whose layers are not registered, or a config that lies, is refused and nothing is stored', async () => {
  const { store, layer } = await storeWithLayer();
  const unknown = sha256(Buffer.from('not a layer here'));
  await assert.rejects(store.images.create(config([layer.diffId, unknown])), (e) =>
    isShaleError(e, 'ERR_NOT_FOUND'),
  );
  await assert.rejects(
    store.images.create(
      config([layer.diffId], { history: [{ created_by: 'a' }, { created_by: 'b' }] }),
    ),
    (e) => isShaleError(e, 'ERR_INVALID_ARGUMENT'),
  );
  assert.deepEqual(await store.images.ids(), []);
  const blobs = [];
  for await (const b of store.content.list()) blobs.push(b);
  assert.equal(blobs.length, 1, 'only the layer blob');
});

test('parents are recorded; children are found; ID prefixes resolve uniquely', async () => {
  const { store, layer } = await storeWithLayer();
  const parent = await store.images.create(config([layer.diffId]));
  const child = await store.images.create(config([layer.diffId], { comment: 'child' }), {
    parent: parent.id,
  });
  assert.equal(child.parent, parent.id);
  assert.deepEqual(await store.images.children(parent.id), [child.id]);
  assert.equal(await store.images.resolveId(child.id), child.id);
  assert.equal(await store.images.resolveId(child.id.slice(7, 19)), child.id);
  assert.equal(await store.images.resolveId(`sha256:${child.id.slice(7, 19)}`), child.id);
  assert.equal(await store.images.resolveId('fffffffffff0'), undefined);
  assert.equal(await store.images.resolveId('not-hex'), undefined);
  const shared = [...'0123456789abcdef'].find((c) => parent.id[7] === c && child.id[7] === c);
  if (shared)
    await assert.rejects(store.images.resolveId(shared), (e) =>
      isShaleError(e, 'ERR_INVALID_ARGUMENT'),
    );
  await assert.rejects(
    store.images.create(config([layer.diffId], { comment: 'orphan' }), {
      parent: sha256(Buffer.from('x')),
    }),
    (e) => isShaleError(e, 'ERR_NOT_FOUND'),
  );
});
