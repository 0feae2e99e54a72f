// fsck reports a clean store as clean and each kind of damage as its own problem, exit 1 via the CLI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Digest } from '../../src/core/digest.ts';
import { parseDockerRef } from '../../src/core/reference.ts';
import { importRootfs } from '../../src/trees/index.ts';
import { checkStore, openStore, type FsckProblem, type Store } from '../../src/store/index.ts';
import { runShale } from '../helpers/shale.ts';
import { tarBytes } from '../../support/tar-bytes.ts';

const REF = 'example.com/fsck/base:1';

interface Fixture {
  store: Store;
  root: string;
  image: Digest;
  layerBlob: Digest;
}

/** A store holding one tagged image imported from a gzip rootfs. */
async function taggedImage(): Promise<Fixture> {
  const dir = mkdtempSync(path.join(tmpdir(), 'shale-fsck-'));
  const rootfs = path.join(dir, 'rootfs');
  mkdirSync(path.join(rootfs, 'etc'), { recursive: true });
  writeFileSync(path.join(rootfs, 'etc', 'hostname'), 'fsck\n');
  writeFileSync(path.join(rootfs, 'data'), Buffer.alloc(64 * 1024, 'x'));
  const tgz = path.join(dir, 'rootfs.tar.gz');
  const tar = spawnSync('tar', ['-czf', tgz, '-C', rootfs, '.']);
  assert.equal(tar.status, 0, tar.stderr.toString());
  const root = path.join(dir, 'store');
  const store = await openStore(root);
  const image = await importRootfs(store, tgz, { reference: parseDockerRef(REF) });
  const manifest = JSON.parse(
    (await store.content.read((await store.images.manifestOf(image)).digest)).toString(),
  ) as { layers: { digest: Digest }[] };
  return { store, root, image, layerBlob: manifest.layers[0]!.digest };
}

async function problems(store: Store, quick = false): Promise<FsckProblem[]> {
  return (await checkStore(store, { quick })).problems;
}

function has(list: FsckProblem[], kind: FsckProblem['kind'], object: string): boolean {
  return list.some((p) => p.kind === kind && p.object === object);
}

/** `shale fsck` exits 1 and prints a line for the problem; the summary counts it. */
function assertCliReports(root: string, line: RegExp): void {
  const r = runShale(['--root', root, 'fsck']);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stdout, line);
  assert.match(r.stdout, /^checked \d+ blobs: \d+ problems?$/m);
  assert.equal(r.stderr, '');
}

function writable(file: string): string {
  chmodSync(file, 0o644);
  return file;
}

test('a freshly imported and tagged image is clean, by the library and the CLI', async () => {
  const { store, root } = await taggedImage();
  const report = await checkStore(store);
  assert.deepEqual(report.problems, []);
  assert.equal(report.blobs, 3); // layer, config, manifest
  const r = runShale(['--root', root, 'fsck']);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.equal(r.stdout, 'checked 3 blobs: no problems\n');
  const json = runShale(['--root', root, 'fsck', '--quick', '--json']);
  assert.equal(json.status, 0);
  assert.deepEqual(JSON.parse(json.stdout), { blobs: 3, problems: [] });
});

/** Tag an image of two gzip layers (registered from their blobs, as a pull or load does). */
async function tagTwoLayerImage(store: Store): Promise<Digest> {
  let top: Digest | undefined;
  const diffIds: Digest[] = [];
  for (const name of ['one', 'two']) {
    const tar = await tarBytes([{ header: { name, size: name.length }, body: Buffer.from(name) }]);
    const gzip = spawnSync('gzip', ['-c', '-n'], { input: tar }).stdout;
    const layer = await store.layers.registerBlob(top, (await store.content.put(gzip)).digest);
    diffIds.push(layer.diffId);
    top = layer.chainId;
  }
  const config = {
    architecture: 'amd64',
    os: 'linux',
    rootfs: { type: 'layers', diff_ids: diffIds },
  };
  const { id } = await store.images.create(Buffer.from(JSON.stringify(config)));
  await store.references.tag(parseDockerRef('example.com/fsck/two:1'), id);
  await store.snapshots.ensure(top!);
  return id;
}

test('gzip layers on a parent, their snapshots and a checkout are clean too', async () => {
  const { store, root } = await taggedImage();
  const image = await tagTwoLayerImage(store);
  const tree = mkdtempSync(path.join(tmpdir(), 'shale-fsck-tree-'));
  await store.checkouts.record(tree, image);
  const report = await checkStore(store);
  assert.deepEqual(report.problems, []);
  assert.equal(report.blobs, 3 + 4); // and two layers, a config and a manifest
  assert.equal(runShale(['--root', root, 'fsck']).status, 0);
  // the checked-out image going away is a problem of the checkout
  unlinkSync(path.join(root, 'shale', 'images', 'sha256', `${image.slice(7)}.json`));
  const found = await problems(store, true);
  assert.ok(found.some((p) => p.kind === 'missing-image' && p.object.startsWith('checkout ')));
  assert.ok(has(found, 'missing-image', 'example.com/fsck/two:1'), JSON.stringify(found));
});

test('a flipped byte in a blob: its content hashes to another digest', async () => {
  const { store, root, layerBlob } = await taggedImage();
  const file = writable(store.content.blobPath(layerBlob));
  const bytes = readFileSync(file);
  const middle = bytes.length >> 1;
  bytes.writeUInt8(bytes.readUInt8(middle) ^ 0xff, middle);
  writeFileSync(file, bytes);
  const found = await problems(store);
  assert.ok(has(found, 'corrupt-blob', layerBlob), JSON.stringify(found));
  assert.match(found.find((p) => p.object === layerBlob)!.message, /^content hashes to sha256:/);
  assertCliReports(
    root,
    new RegExp(`^corrupt-blob ${layerBlob}: content hashes to sha256:[0-9a-f]{64}$`, 'm'),
  );
});

test('a truncated blob: corrupt, and shorter than its manifest says', async () => {
  const { store, root, layerBlob } = await taggedImage();
  const file = writable(store.content.blobPath(layerBlob));
  truncateSync(file, 20);
  const found = await problems(store, true);
  assert.ok(has(found, 'corrupt-blob', layerBlob), JSON.stringify(found));
  assert.ok(has(found, 'mismatch', layerBlob), JSON.stringify(found));
  assertCliReports(root, new RegExp(`^mismatch ${layerBlob}: is 20 bytes, manifest sha256:`, 'm'));
});

test('a deleted blob: named by its layer, its blob info and the manifest', async () => {
  const { store, root, layerBlob } = await taggedImage();
  unlinkSync(store.content.blobPath(layerBlob));
  const found = await problems(store);
  assert.ok(has(found, 'missing-blob', layerBlob), JSON.stringify(found));
  assert.ok(found.some((p) => p.kind === 'missing-blob' && p.message.includes('no stored blob')));
  assertCliReports(
    root,
    new RegExp(
      `^missing-blob ${layerBlob}: named by manifest sha256:[0-9a-f]{64}, not stored$`,
      'm',
    ),
  );
});

test('a garbage image record', async () => {
  const { store, root, image } = await taggedImage();
  const record = path.join(root, 'shale', 'images', 'sha256', `${image.slice(7)}.json`);
  writeFileSync(record, '{"id": 42');
  const found = await problems(store);
  assert.ok(has(found, 'bad-record', image), JSON.stringify(found));
  assertCliReports(root, new RegExp(`^bad-record ${image}: image record: `, 'm'));
});

test('a reference to an image that is gone', async () => {
  const { store, root, image } = await taggedImage();
  unlinkSync(path.join(root, 'shale', 'images', 'sha256', `${image.slice(7)}.json`));
  const found = await problems(store);
  assert.ok(has(found, 'missing-image', REF), JSON.stringify(found));
  assertCliReports(
    root,
    new RegExp(`^missing-image ${REF}: names image ${image}, not in the store$`, 'm'),
  );
});

test('an index.json out of line with the references (same generation)', async () => {
  const { store, root } = await taggedImage();
  const index = JSON.parse(readFileSync(path.join(root, 'index.json'), 'utf8')) as {
    manifests: unknown[];
  };
  index.manifests = [];
  writeFileSync(path.join(root, 'index.json'), JSON.stringify(index));
  const found = await problems(store);
  assert.deepEqual(found, [
    { kind: 'index-mismatch', object: REF, message: 'missing from index.json' },
  ]);
  assertCliReports(root, new RegExp(`^index-mismatch ${REF}: missing from index.json$`, 'm'));
});

test('leftovers of interrupted writes, with their sizes', async () => {
  const { store, root, image } = await taggedImage();
  const ingest = path.join('shale', 'ingest', 'blob-12345-0123456789abcdef');
  writeFileSync(path.join(root, ingest), Buffer.alloc(1234));
  const temp = path.join('shale', 'images', 'sha256', `${image.slice(7)}.json.12345.abcdef.tmp`);
  writeFileSync(path.join(root, temp), '{"id"');
  const found = await problems(store);
  assert.deepEqual(found, [
    { kind: 'leftover', object: ingest, message: 'ingest of an interrupted write', size: 1234 },
    { kind: 'leftover', object: temp, message: 'temp file of an interrupted write', size: 5 },
  ]);
  assertCliReports(
    root,
    /^leftover shale\/ingest\/blob-12345-0123456789abcdef: ingest of an interrupted write \(1\.23kB\)$/m,
  );
});

test('a blob info whose recorded size its bytes contradict: found by decompression, not by --quick', async () => {
  const { store, root, layerBlob } = await taggedImage();
  const file = path.join(root, 'shale', 'blobinfo', 'sha256', `${layerBlob.slice(7)}.json`);
  const info = JSON.parse(readFileSync(file, 'utf8')) as { uncompressedSize: number };
  writeFileSync(file, JSON.stringify({ ...info, uncompressedSize: info.uncompressedSize + 512 }));
  assert.deepEqual(await problems(store, true), []);
  const found = await problems(store);
  assert.ok(has(found, 'mismatch', layerBlob), JSON.stringify(found));
  assert.equal(runShale(['--root', root, 'fsck', '--quick']).status, 0);
  assertCliReports(
    root,
    new RegExp(`^mismatch ${layerBlob}: uncompresses to \\d+ bytes, recorded as \\d+$`, 'm'),
  );
});
