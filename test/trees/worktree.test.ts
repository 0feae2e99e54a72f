// Working trees through the library: a hard link to a lower-layer file committed as a hard-link
// group (the layer's entries and the unpacked result), and the first diff after a checkout doing
// exactly the work of the second (no layer read, no snapshot built, the same lstat calls).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { changes } from '../../src/archive/changes/index.ts';
import { readTar } from '../../src/archive/tar/index.ts';
import type { Digest } from '../../src/core/digest.ts';
import { importRootfs } from '../../src/trees/rootfs-import.ts';
import { unpackImage } from '../../src/trees/unpack.ts';
import { checkout, commitWorktree, diffWorktree } from '../../src/trees/worktree.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import { pinMtimes, put, T0 } from '../helpers/changes-tree.ts';

function workDir(t: { after: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(path.join(tmpdir(), 'shale-worktree-lib-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A one-layer base image: /etc/hosts, /usr/share/f, /usr/bin/tool. */
async function baseImage(work: string): Promise<{ store: Store; base: Digest }> {
  const rootfs = path.join(work, 'rootfs');
  put(rootfs, 'etc/hosts', '127.0.0.1 localhost\n');
  put(rootfs, 'usr/share/f', 'lower content\n');
  put(rootfs, 'usr/bin/tool', '#!/bin/sh\n');
  pinMtimes(rootfs, T0);
  const store = await openStore(path.join(work, 'store'));
  return { store, base: await importRootfs(store, rootfs) };
}

interface Entry {
  name: string;
  typeflag: string;
  linkname: string;
  size: number;
  body: string;
}

async function topLayerEntries(store: Store, image: Digest): Promise<Entry[]> {
  const record = await store.images.get(image);
  const layer = await store.layers.get(record!.topLayer!);
  const entries: Entry[] = [];
  for await (const e of readTar(await store.layers.openDiff(layer!.diffId))) {
    const chunks: Buffer[] = [];
    for await (const chunk of e.body) chunks.push(Buffer.from(chunk as Uint8Array));
    const { name, typeflag, linkname, size } = e.header;
    entries.push({ name, typeflag, linkname, size, body: Buffer.concat(chunks).toString() });
  }
  return entries;
}

test('a hard link to a lower-layer file commits as a hard-link group', async (t) => {
  const work = workDir(t);
  const { store, base } = await baseImage(work);
  const tree = path.join(work, 'tree');
  await checkout(store, base, tree);
  // The new name sorts before its target, so it is the one that carries the body.
  fs.linkSync(path.join(tree, 'usr/share/f'), path.join(tree, 'etc/f-link'));
  assert.deepEqual(await diffWorktree(store, tree), [
    { path: '/etc', kind: 'C' },
    { path: '/etc/f-link', kind: 'A' },
    { path: '/usr', kind: 'C' },
    { path: '/usr/share', kind: 'C' },
    { path: '/usr/share/f', kind: 'C' }, // copied up: the layer must keep the two names one inode
  ]);

  const child = await commitWorktree(store, tree);
  const entries = await topLayerEntries(store, child);
  assert.deepEqual(
    entries.map((e) => [e.name, e.typeflag, e.linkname, e.size, e.body]),
    [
      ['etc/', '5', '', 0, ''],
      ['etc/f-link', '0', '', 14, 'lower content\n'],
      ['usr/', '5', '', 0, ''],
      ['usr/share/', '5', '', 0, ''],
      ['usr/share/f', '1', 'etc/f-link', 0, ''],
    ],
  );

  const out = path.join(work, 'out');
  await unpackImage(store, child, out);
  const a = fs.lstatSync(path.join(out, 'etc/f-link'));
  const b = fs.lstatSync(path.join(out, 'usr/share/f'));
  assert.equal(a.ino, b.ino, 'one inode under both names');
  assert.equal(a.nlink, 2);
  assert.equal(fs.readFileSync(path.join(out, 'usr/share/f'), 'utf8'), 'lower content\n');
  assert.deepEqual(await diffWorktree(store, tree), [], 'the tree is a checkout of the child');
});

test('the first diff after a checkout does the work of the second, and both are right', async (t) => {
  const work = workDir(t);
  const { store, base } = await baseImage(work);
  // A two-layer image, so that a snapshot (had diff needed one) would apply a chain.
  const first = path.join(work, 'first');
  await checkout(store, base, first);
  put(first, 'opt/app/run', 'run\n');
  const image = await commitWorktree(store, first);
  const top = (await store.images.get(image))!.topLayer!;

  const counts = { layersApplied: 0, blobsOpened: 0, lstat: 0 };
  const { layers, content } = store;
  const applyLayer = layers.applyLayer.bind(layers);
  const open = content.open.bind(content);
  layers.applyLayer = (...args) => (counts.layersApplied++, applyLayer(...args));
  content.open = (...args) => (counts.blobsOpened++, open(...args));
  const lstat = fs.lstatSync;
  const spy = t.mock.method(fs, 'lstatSync', ((p: fs.PathLike, o?: fs.StatOptions) => {
    counts.lstat++;
    return lstat(p, o);
  }) as typeof fs.lstatSync);
  syncBuiltinESMExports();
  t.after(() => {
    spy.mock.restore();
    syncBuiltinESMExports();
  });
  const measure = async <T>(fn: () => Promise<T>) => {
    for (const k of Object.keys(counts) as (keyof typeof counts)[]) counts[k] = 0;
    const result = await fn();
    return { result, counts: { ...counts } };
  };

  const tree = path.join(work, 'tree');
  const made = await measure(() => checkout(store, image, tree));
  assert.equal(made.counts.layersApplied, 2, 'checkout applies both layers');
  const diff1 = await measure(() => diffWorktree(store, tree));
  const diff2 = await measure(() => diffWorktree(store, tree));
  assert.deepEqual(diff1.result, []);
  assert.deepEqual(diff2.result, []);
  assert.deepEqual(diff1.counts, diff2.counts, 'the same work, file for file');
  assert.equal(diff1.counts.layersApplied + diff1.counts.blobsOpened, 0, 'no layer is read');
  assert.ok(diff1.counts.lstat > 0 && diff1.counts.lstat < 20, `lstat ${diff1.counts.lstat}`);
  assert.equal(fs.existsSync(store.snapshots.pathOf(top)), false, 'no snapshot was built');

  fs.rmSync(path.join(tree, 'etc/hosts'));
  fs.appendFileSync(path.join(tree, 'opt/app/run'), 'more\n');
  put(tree, 'usr/bin/new', 'new\n');
  const changed = [
    { path: '/etc', kind: 'C' },
    { path: '/etc/hosts', kind: 'D' },
    { path: '/opt', kind: 'C' },
    { path: '/opt/app', kind: 'C' },
    { path: '/opt/app/run', kind: 'C' },
    { path: '/usr', kind: 'C' },
    { path: '/usr/bin', kind: 'C' },
    { path: '/usr/bin/new', kind: 'A' },
  ];
  assert.deepEqual(await diffWorktree(store, tree), changed);
  // The base's snapshot, built now, agrees with the record.
  assert.deepEqual(changes(tree, await store.snapshots.ensure(top)), changed);
});
