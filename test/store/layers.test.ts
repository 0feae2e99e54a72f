// The layer store: one layer whatever its compression, DiffID checks, chains and their depth limit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { asDigest, type Digest } from '../../src/core/digest.ts';
import { isShaleError } from '../../src/core/errors.ts';
import { chainIdOf } from '../../src/core/ids.ts';
import { ContentStore } from '../../src/store/content/index.ts';
import { LayerStore, MAX_LAYER_DEPTH } from '../../src/store/layers/index.ts';
import { openStoreLayout } from '../../src/store/layout.ts';
import { tarBytes } from '../../support/tar-bytes.ts';

const sha256 = (b: Uint8Array) =>
  asDigest(`sha256:${createHash('sha256').update(b).digest('hex')}`);

async function freshStores() {
  const layout = await openStoreLayout(
    path.join(mkdtempSync(path.join(tmpdir(), 'shale-layers-')), 'store'),
  );
  const content = new ContentStore(layout);
  return { layout, content, layers: new LayerStore(layout, content) };
}

const layerTar = (name: string, text: string) =>
  tarBytes([{ header: { name, size: text.length }, body: Buffer.from(text) }]);
const compress = (tool: string, bytes: Buffer) =>
  spawnSync(tool, ['-c', '-q'], { input: bytes }).stdout;

test('the same DiffID as gzip, zstd and plain is one layer with three blobs', async () => {
  const { content, layers } = await freshStores();
  const tar = await layerTar('etc/hostname', 'shale\n');
  const diffId = sha256(tar);
  const blobs: Digest[] = [];
  for (const bytes of [compress('gzip', tar), compress('zstd', tar), tar]) {
    const { digest } = await content.put(bytes);
    blobs.push(digest);
    const layer = await layers.registerBlob(undefined, digest, { expectedDiffId: diffId });
    assert.deepEqual(layer, {
      chainId: diffId,
      diffId,
      depth: 1,
      tarSize: tar.length,
      contentSize: 6,
    });
  }
  assert.deepEqual(await layers.blobsOf(diffId), [...blobs].sort());
  assert.equal((await layers.blobInfo(blobs[1]!))?.compression, 'zstd');
  const all = [];
  for await (const l of layers.list()) all.push(l);
  assert.equal(all.length, 1);
});

test('a blob whose DiffID differs from the config is refused and nothing is registered', async () => {
  const { content, layers } = await freshStores();
  const { digest } = await content.put(compress('gzip', await layerTar('a', 'one')));
  const claimed = sha256(Buffer.from('something else'));
  await assert.rejects(layers.registerBlob(undefined, digest, { expectedDiffId: claimed }), (e) =>
    isShaleError(e, 'ERR_DIGEST_MISMATCH'),
  );
  const all = [];
  for await (const l of layers.list()) all.push(l);
  assert.deepEqual(all, []);
});

test('chains record parents and ChainIDs; the depth limit is enforced', async () => {
  const { content, layers } = await freshStores();
  let parent: Digest | undefined;
  const diffIds: Digest[] = [];
  for (let i = 0; i < MAX_LAYER_DEPTH; i++) {
    const tar = await layerTar(`f${i}`, String(i));
    const { digest } = await content.put(tar);
    const layer = await layers.registerBlob(parent, digest);
    diffIds.push(layer.diffId);
    assert.equal(layer.chainId, chainIdOf(diffIds));
    assert.equal(layer.depth, i + 1);
    parent = layer.chainId;
  }
  const chain = await layers.chain(parent!);
  assert.equal(chain.length, MAX_LAYER_DEPTH);
  assert.deepEqual(
    chain.map((l) => l.diffId),
    diffIds,
  );
  const { digest } = await content.put(await layerTar('one-too-many', 'x'));
  await assert.rejects(
    layers.registerBlob(parent, digest),
    (e) => isShaleError(e, 'ERR_LIMIT') && /125/.test(e.message),
  );
  await assert.rejects(layers.registerBlob(sha256(Buffer.from('no such parent')), digest), (e) =>
    isShaleError(e, 'ERR_NOT_FOUND'),
  );
});

test('corrupt compressed blobs fail to register with ERR_BAD_COMPRESSION', async () => {
  const { content, layers } = await freshStores();
  const gz = compress('gzip', await layerTar('a', 'payload'.repeat(100)));
  gz.writeUInt8(gz.readUInt8(gz.length - 6) ^ 0xff, gz.length - 6); // break the CRC
  const { digest } = await content.put(gz);
  await assert.rejects(layers.registerBlob(undefined, digest), (e) =>
    isShaleError(e, 'ERR_BAD_COMPRESSION'),
  );
  assert.equal(await layers.blobInfo(digest), undefined);
});

test('a layer held by a claim gets its content size on first need: counted, checked, recorded', async () => {
  const { content, layers } = await freshStores();
  const tar = await layerTar('etc/motd', 'hello, world\n');
  const diffId = sha256(tar);
  const { digest } = await content.put(compress('gzip', tar));
  await layers.claimDiffId(digest, diffId, []);
  const claimed = await layers.registerBlob(undefined, digest, { expectedDiffId: diffId });
  assert.equal(claimed.unverified, true);
  assert.equal(claimed.contentSize, undefined);
  assert.equal(await layers.contentSize(claimed), 13);
  assert.deepEqual(await layers.get(claimed.chainId), {
    chainId: diffId,
    diffId,
    depth: 1,
    tarSize: tar.length,
    contentSize: 13,
  });
  assert.equal((await layers.blobInfo(digest))?.contentSize, 13);
  assert.equal((await layers.blobInfo(digest))?.unverified, undefined);
});

test('a claim the bytes contradict fails the count and is forgotten', async () => {
  const { content, layers } = await freshStores();
  const { digest } = await content.put(compress('gzip', await layerTar('a', 'truth')));
  const lie = sha256(await layerTar('a', 'a lie'));
  await layers.claimDiffId(digest, lie, []);
  const layer = await layers.registerBlob(undefined, digest, { expectedDiffId: lie });
  await assert.rejects(layers.contentSize(layer), (e) => isShaleError(e, 'ERR_DIGEST_MISMATCH'));
  assert.deepEqual(await layers.blobsOf(lie), []);
});

test('a record written before content sizes were kept reads, and is counted once', async () => {
  const { layout, content, layers } = await freshStores();
  const tar = await layerTar('usr/share/doc', 'x'.repeat(4242));
  const { digest } = await content.put(tar);
  const layer = await layers.registerBlob(undefined, digest);
  // The old format: the tar byte count as `size`, no content size anywhere.
  const file = path.join(layout.metaDir, 'layers', 'sha256', `${layer.chainId.slice(7)}.json`);
  writeFileSync(
    file,
    JSON.stringify({ chainId: layer.chainId, diffId: layer.diffId, depth: 1, size: tar.length }),
  );
  const info = path.join(layout.metaDir, 'blobinfo', 'sha256', `${digest.slice(7)}.json`);
  writeFileSync(
    info,
    JSON.stringify({ diffId: layer.diffId, compression: 'none', uncompressedSize: tar.length }),
  );
  const old = (await layers.get(layer.chainId))!;
  assert.equal(old.tarSize, tar.length);
  assert.equal(old.contentSize, undefined);
  assert.equal(await layers.contentSize(old), 4242);
  assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), {
    chainId: layer.chainId,
    diffId: layer.diffId,
    depth: 1,
    tarSize: tar.length,
    contentSize: 4242,
  });
});
