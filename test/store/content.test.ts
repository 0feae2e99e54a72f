// The content store: verified ingest, nothing half-written ever visible, several processes at
// once, and the store root's creation rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { asDigest } from '../../src/core/digest.ts';
import { isShaleError } from '../../src/core/errors.ts';
import { ContentStore } from '../../src/store/content/index.ts';
import { openStoreLayout, resolveStoreRoot } from '../../src/store/layout.ts';
import { seededChunks } from '../helpers/seeded-bytes.ts';

const CHILD = fileURLToPath(new URL('../helpers/store-child.ts', import.meta.url));
const sha256 = (b: Uint8Array) =>
  asDigest(`sha256:${createHash('sha256').update(b).digest('hex')}`);

async function freshStore() {
  const root = path.join(mkdtempSync(path.join(tmpdir(), 'shale-content-')), 'store');
  const layout = await openStoreLayout(root);
  return { root, layout, store: new ContentStore(layout) };
}

const ingestLeftovers = (root: string) => readdirSync(path.join(root, 'shale', 'ingest'));
const blobs = (root: string) => readdirSync(path.join(root, 'blobs', 'sha256'));

test('a new store is an OCI image layout with shale metadata beside it', async () => {
  const { root } = await freshStore();
  assert.deepEqual(JSON.parse(readFileSync(path.join(root, 'oci-layout'), 'utf8')), {
    imageLayoutVersion: '1.0.0',
  });
  const index = JSON.parse(readFileSync(path.join(root, 'index.json'), 'utf8')) as {
    schemaVersion: number;
    manifests: unknown[];
  };
  assert.equal(index.schemaVersion, 2);
  assert.deepEqual(index.manifests, []);
  assert.deepEqual(readdirSync(root).sort(), ['blobs', 'index.json', 'oci-layout', 'shale']);
  await openStoreLayout(root); // reopening is fine
});

test('a non-empty directory that is not a store is refused; an empty one is adopted', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'shale-notastore-'));
  writeFileSync(path.join(dir, 'precious.txt'), 'mine');
  await assert.rejects(
    openStoreLayout(dir),
    (e) => isShaleError(e, 'ERR_INVALID_ARGUMENT') && /not a shale store/.test(e.message),
  );
  assert.deepEqual(readdirSync(dir), ['precious.txt']);
  const empty = mkdtempSync(path.join(tmpdir(), 'shale-empty-'));
  await openStoreLayout(empty);
  assert.ok(readdirSync(empty).includes('oci-layout'));
});

test('the root comes from --root, then $SHALE_ROOT, then the XDG data home', () => {
  assert.equal(resolveStoreRoot('/x/y', { SHALE_ROOT: '/a' }), '/x/y');
  assert.equal(resolveStoreRoot(undefined, { SHALE_ROOT: '/a' }), '/a');
  assert.equal(resolveStoreRoot(undefined, { XDG_DATA_HOME: '/d' }), '/d/shale');
  assert.match(resolveStoreRoot(undefined, {}), /\/\.local\/share\/shale$/);
});

test('ingest stores the exact bytes under their digest, read-only, once', async () => {
  const { root, store } = await freshStore();
  const bytes = Buffer.concat([...seededChunks(3_000_000, 'a')]);
  const result = await store.ingest(seededChunks(3_000_000, 'a'), {
    digest: sha256(bytes),
    size: bytes.length,
  });
  assert.deepEqual(result, { digest: sha256(bytes), size: bytes.length, existed: false });
  assert.ok(readFileSync(store.blobPath(result.digest)).equals(bytes));
  assert.equal(await store.size(result.digest), bytes.length);
  assert.deepEqual(await store.put(bytes), { ...result, existed: true });
  assert.deepEqual(blobs(root), [result.digest.slice(7)]);
  assert.deepEqual(ingestLeftovers(root), []);
  const listed: string[] = [];
  for await (const d of store.list()) listed.push(d);
  assert.deepEqual(listed, [result.digest]);
  assert.equal(await store.delete(result.digest), true);
  assert.equal(await store.has(result.digest), false);
});

test('blobs larger than the background write-back step are stored whole (ingest and partial)', async () => {
  const { root, store } = await freshStore();
  const size = 20_000_000; // several 8 MiB write-back steps, and a tail
  const bytes = Buffer.concat([...seededChunks(size, 'wb', 300_000)]);
  const expected = { digest: sha256(bytes), size };
  assert.equal((await store.ingest(seededChunks(size, 'wb', 300_000), expected)).existed, false);
  assert.ok(readFileSync(store.blobPath(expected.digest)).equals(bytes));
  assert.equal(await store.delete(expected.digest), true);

  const partial = await store.openPartial(expected);
  await partial.append(Readable.from(seededChunks(size, 'wb', 300_000)));
  await partial.verify();
  assert.deepEqual(await partial.commit(), { ...expected, existed: false });
  await partial.close();
  assert.ok(readFileSync(store.blobPath(expected.digest)).equals(bytes));
  assert.deepEqual(ingestLeftovers(root), []);
});

test('a digest or size mismatch leaves no blob and no temp file', async () => {
  const { root, store } = await freshStore();
  const bytes = Buffer.from('hello');
  const wrong = sha256(Buffer.from('other'));
  await assert.rejects(store.put(bytes, { digest: wrong }), (e) =>
    isShaleError(e, 'ERR_DIGEST_MISMATCH'),
  );
  await assert.rejects(store.put(bytes, { size: 4 }), (e) => isShaleError(e, 'ERR_SIZE_MISMATCH'));
  await assert.rejects(store.put(bytes, { size: 6 }), (e) => isShaleError(e, 'ERR_SIZE_MISMATCH'));
  assert.deepEqual(blobs(root), []);
  assert.deepEqual(ingestLeftovers(root), []);
});

test('a source that fails midway, or an abort, leaves nothing visible', async () => {
  const { root, store } = await freshStore();
  function* failing() {
    yield Buffer.alloc(1000);
    throw new Error('network went away');
  }
  await assert.rejects(store.ingest(failing()), /network went away/);
  const controller = new AbortController();
  function* aborting() {
    yield Buffer.alloc(1000);
    controller.abort();
    yield Buffer.alloc(1000);
  }
  await assert.rejects(store.ingest(aborting(), {}, { signal: controller.signal }), {
    name: 'AbortError',
  });
  assert.deepEqual(blobs(root), []);
  assert.deepEqual(ingestLeftovers(root), []);
});

test('written on this thread: a source that fills one buffer again for each chunk stores the same blob; a failure leaves nothing', async () => {
  const { root, store } = await freshStore();
  const chunks = [...seededChunks(3 << 20, 'fresh', 200_000)].map((c) => Buffer.from(c));
  const whole = Buffer.concat(chunks);
  async function* inOneBuffer(count: number) {
    // the contract: a chunk's memory may hold the next one once the next is asked for
    const buffer = Buffer.alloc(200_000);
    for (const chunk of chunks.slice(0, count)) {
      await new Promise((resolve) => setImmediate(resolve));
      chunk.copy(buffer);
      yield buffer.subarray(0, chunk.length);
    }
  }
  for (const writeOnThisThread of [true, false]) {
    const stored = await store.ingest(
      inOneBuffer(chunks.length),
      { digest: sha256(whole) },
      { writeOnThisThread },
    );
    assert.ok(readFileSync(store.blobPath(stored.digest)).equals(whole));
    await store.delete(stored.digest);
    async function* failing() {
      yield* inOneBuffer(3);
      throw new Error('the source broke after three chunks');
    }
    await assert.rejects(store.ingest(failing(), {}, { writeOnThisThread }), /three chunks/);
    assert.deepEqual(blobs(root), []);
    assert.deepEqual(ingestLeftovers(root), []);
  }
});

test('reading whole blobs is bounded', async () => {
  const { store } = await freshStore();
  const { digest } = await store.put(Buffer.alloc(5000));
  assert.equal((await store.read(digest)).length, 5000);
  await assert.rejects(store.read(digest, 4999), (e) => isShaleError(e, 'ERR_LIMIT'));
  await assert.rejects(store.read(sha256(Buffer.from('absent'))), (e) =>
    isShaleError(e, 'ERR_NOT_FOUND'),
  );
});

function runChild(args: string[]): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args]);
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout }));
  });
}

test('two processes ingesting the same content at once both succeed with one blob', async () => {
  const { root } = await freshStore();
  const [a, b] = await Promise.all([
    runChild([root, '8000000', 'same']),
    runChild([root, '8000000', 'same']),
  ]);
  assert.equal(a.code, 0);
  assert.equal(b.code, 0);
  const digest = a.stdout.trim().split('\n').pop()!;
  assert.equal(b.stdout.trim().split('\n').pop(), digest);
  assert.equal(sha256(Buffer.concat([...seededChunks(8_000_000, 'same')])), digest);
  assert.deepEqual(blobs(root), [digest.slice(7)]);
  assert.deepEqual(ingestLeftovers(root), []);
});

test('a writer killed with SIGKILL mid-blob leaves no visible blob', async () => {
  const { root } = await freshStore();
  const child = spawn(process.execPath, [
    '--import',
    'tsx',
    CHILD,
    root,
    '50000000',
    'killed',
    'slow',
  ]);
  await new Promise<void>((resolve) => {
    let dots = 0;
    child.stdout.on('data', (d: Buffer) => {
      dots += d.toString().split('.').length - 1;
      if (dots >= 5) resolve();
    });
  });
  child.kill('SIGKILL');
  await new Promise((r) => child.on('exit', r));
  assert.deepEqual(blobs(root), []);
  // The partial write stays private in the ingest area (prune removes expired ones).
  assert.equal(ingestLeftovers(root).length, 1);
});
