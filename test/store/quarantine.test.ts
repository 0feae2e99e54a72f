// Quarantine: a blob known to be bad leaves blobs/ (kept, with its reason), is no longer `has()`,
// and a verifying read that finds a blob damaged puts it there itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isShaleError } from '../../src/core/errors.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import type { Digest } from '../../src/core/digest.ts';

async function storeWith(bytes: Buffer): Promise<{ store: Store; digest: Digest; root: string }> {
  const root = path.join(mkdtempSync(path.join(tmpdir(), 'shale-quarantine-')), 'store');
  const store = await openStore(root);
  const { digest } = await store.content.put(bytes);
  return { store, digest, root };
}

/** Flip one byte of a stored blob in place (blobs are read-only; the tests run as their owner or root). */
function flipByte(file: string, offset: number): void {
  const bytes = readFileSync(file);
  bytes[offset]! ^= 0x01;
  writeFileSync(file, bytes);
}

const damaged = (err: unknown) =>
  isShaleError(err, 'ERR_DIGEST_MISMATCH') && /shale fsck --repair/.test(err.message);

test('quarantine moves the blob out of blobs/ with its reason; has() is then false', async () => {
  const { store, digest, root } = await storeWith(Buffer.from('some bytes'));
  assert.deepEqual(await store.content.quarantined(), []);
  await store.content.quarantine(digest, 'found rotten by a test');
  assert.equal(await store.content.has(digest), false);
  assert.deepEqual(await store.content.quarantined(), [
    { digest, reason: 'found rotten by a test', bytes: 10 },
  ]);
  const kept = path.join(root, 'shale', 'quarantine', 'sha256', digest.slice(7));
  assert.equal(readFileSync(kept, 'utf8'), 'some bytes');
  // quarantining a blob that is already gone is not an error
  await store.content.quarantine(digest, 'again');
  // the same bytes can be stored again, and are then a blob like any other
  await store.content.put(Buffer.from('some bytes'));
  assert.equal(await store.content.has(digest), true);
});

test('a whole read of a damaged blob fails and quarantines it', async () => {
  const { store, digest } = await storeWith(Buffer.from('{"a":"config"}'));
  flipByte(store.content.blobPath(digest), 3);
  await assert.rejects(store.content.read(digest), damaged);
  assert.equal(await store.content.has(digest), false);
  const [entry] = await store.content.quarantined();
  assert.equal(entry?.digest, digest);
  assert.match(entry.reason, /^content hashes to sha256:[0-9a-f]{64}$/);
});

test('a streamed read of a damaged blob fails at its end, and quarantines it', async () => {
  const body = Buffer.alloc(3 << 20, 'z');
  const { store, digest } = await storeWith(body);
  flipByte(store.content.blobPath(digest), (2 << 20) + 5);
  let received = 0;
  await assert.rejects(async () => {
    for await (const chunk of store.content.open(digest) as AsyncIterable<Buffer>)
      received += chunk.length;
  }, damaged);
  assert.ok(received >= 2 << 20, 'the bytes before the end were streamed');
  assert.equal(await store.content.has(digest), false);
});

test('a reader that stops early still learns of damage after the point it stopped', async () => {
  const { store, digest } = await storeWith(Buffer.alloc(3 << 20, 'q'));
  flipByte(store.content.blobPath(digest), (3 << 20) - 1);
  await assert.rejects(
    store.content.readThrough(digest, async (blob) => {
      for await (const chunk of blob as AsyncIterable<Buffer>) return chunk.length; // one chunk only
      return 0;
    }),
    damaged,
  );
  assert.equal(await store.content.has(digest), false);
});

test('a sound blob reads through, early stop or not, and stays', async () => {
  const { store, digest } = await storeWith(Buffer.alloc(3 << 20, 's'));
  const first = await store.content.readThrough(digest, async (blob) => {
    for await (const chunk of blob as AsyncIterable<Buffer>) return chunk.length;
    return 0;
  });
  assert.ok(first > 0);
  assert.equal((await store.content.read(digest, 4 << 20)).length, 3 << 20);
  assert.equal(await store.content.has(digest), true);
  assert.deepEqual(await store.content.quarantined(), []);
});

test("a consumer's own error stands when the blob is sound", async () => {
  const { store, digest } = await storeWith(Buffer.from('fine'));
  await assert.rejects(
    store.content.readThrough(digest, () => Promise.reject(new Error('the consumer refused it'))),
    /the consumer refused it/,
  );
  assert.equal(await store.content.has(digest), true);
  assert.ok(!existsSync(path.join(store.layout.metaDir, 'quarantine', 'sha256', digest.slice(7))));
});
