// A layer's content size as Docker counts it (overlay2: directory.Size of the untarred diff), from
// crafted tars: whiteouts and directories count 0, later duplicates replace earlier entries, hard
// links count once, symlinks by target length. A packed real directory is checked against an lstat
// walk of that directory done the way moby's pkg/directory does it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { applyLayer } from '../../src/archive/apply/index.ts';
import { computeDiffId } from '../../src/archive/diffid.ts';
import { layerContentSize } from '../../src/archive/content-size.ts';
import { packDirectory } from '../../src/archive/pack.ts';
import { TypeFlag, type TarHeaderInit } from '../../src/archive/tar/index.ts';
import { isShaleError } from '../../src/core/errors.ts';
import { tarBytes } from '../../support/tar-bytes.ts';

type Entry = { header: TarHeaderInit; body?: Buffer };

const file = (name: string, bytes: number): Entry => ({
  header: { name, size: bytes },
  body: Buffer.alloc(bytes, 0x61),
});
const dir = (name: string): Entry => ({ header: { name, typeflag: TypeFlag.directory } });
const link = (name: string, target: string): Entry => ({
  header: { name, typeflag: TypeFlag.hardLink, linkname: target },
});
const symlink = (name: string, target: string): Entry => ({
  header: { name, typeflag: TypeFlag.symlink, linkname: target },
});
const whiteout = (name: string): Entry => ({ header: { name, size: 0 }, body: Buffer.alloc(0) });

async function sizeOf(entries: Entry[]): Promise<number> {
  return layerContentSize(Readable.from([await tarBytes(entries)]));
}

test('a layer of only whiteouts and opaque markers is 0 B', async () => {
  assert.equal(await sizeOf([whiteout('data/.wh.gone'), whiteout('etc/.wh..wh..opq')]), 0);
});

test('a WORKDIR-like layer (directories only) is 0 B; an empty tar too', async () => {
  assert.equal(await sizeOf([dir('app/'), dir('app/sub/')]), 0);
  assert.equal(await sizeOf([]), 0);
});

test('regular files count their sizes; empty files, devices and FIFOs count 0', async () => {
  const entries: Entry[] = [
    file('bin/tool', 117_000),
    file('etc/empty', 0),
    { header: { name: 'dev/null', typeflag: TypeFlag.charDevice, devmajor: 1, devminor: 3 } },
    { header: { name: 'run/pipe', typeflag: TypeFlag.fifo } },
  ];
  assert.equal(await sizeOf(entries), 117_000);
});

test('symlinks count the bytes of their target', async () => {
  // 'caf\xc3\xa9' is the latin1 byte string of UTF-8 "café": 5 bytes
  assert.equal(await sizeOf([symlink('a', '../lib/x.so'), symlink('b', 'caf\xc3\xa9')]), 11 + 5);
});

test('hard links count their inode once, and keep it when the first name is replaced', async () => {
  assert.equal(await sizeOf([file('a', 100), link('b', 'a'), link('./c', './a')]), 100);
  assert.equal(await sizeOf([file('a', 100), link('b', 'a'), file('a', 10)]), 110);
  assert.equal(await sizeOf([file('a', 100), link('b', 'a'), whiteout('.wh.a')]), 100);
  assert.equal(await sizeOf([link('orphan', 'not-in-this-layer')]), 0);
});

test('a later entry of the same name replaces the earlier one', async () => {
  assert.equal(await sizeOf([file('a', 100), file('./a', 7)]), 7);
  assert.equal(await sizeOf([file('a', 100), dir('a/')]), 0);
  assert.equal(await sizeOf([file('d/x', 50), file('d/y', 5), file('d', 3)]), 3);
  assert.equal(await sizeOf([file('d/x', 50), dir('d/'), file('d/y', 5)]), 55);
});

test('a whiteout removes what the same layer put there, subtree included', async () => {
  assert.equal(await sizeOf([file('d/x', 50), file('k', 4), whiteout('.wh.d')]), 4);
  // An opaque marker only hides lower layers: entries of its own layer stay.
  assert.equal(await sizeOf([file('d/x', 50), whiteout('d/.wh..wh..opq'), file('d/y', 5)]), 55);
});

test('an unreadable tar is an error for layerContentSize and undefined beside a DiffID', async () => {
  const junk = Buffer.alloc(1024, 0x7a);
  await assert.rejects(layerContentSize(Readable.from([junk])), (e) =>
    isShaleError(e, 'ERR_BAD_TAR'),
  );
  const result = await computeDiffId(Readable.from([junk]), { countContent: true });
  assert.match(result.diffId, /^sha256:/);
  assert.equal(result.contentSize, undefined);
  const tar = await tarBytes([file('a', 300), symlink('s', 'a')]);
  assert.equal(
    (await computeDiffId(Readable.from([tar]), { countContent: true })).contentSize,
    301,
  );
  assert.equal(
    (await computeDiffId(Readable.from([tar]))).contentSize,
    undefined,
    'only on request',
  );
});

/** moby pkg/directory.Size: lstat walk, directories and empty files skipped, each inode once. */
function directorySize(root: string): number {
  const seen = new Set<bigint>();
  let total = 0;
  const walk = (dirPath: string): void => {
    for (const name of fs.readdirSync(dirPath)) {
      const full = path.join(dirPath, name);
      const st = fs.lstatSync(full, { bigint: true });
      if (st.isDirectory()) {
        walk(full);
        continue;
      }
      if (st.size === 0n || seen.has(st.ino)) continue;
      seen.add(st.ino);
      total += Number(st.size);
    }
  };
  walk(root);
  return total;
}

test('a packed directory counts what an lstat walk of the directory counts', async () => {
  const root = fs.mkdtempSync(path.join(tmpdir(), 'shale-content-size-'));
  fs.mkdirSync(path.join(root, 'usr/lib'), { recursive: true });
  fs.mkdirSync(path.join(root, 'empty-dir'));
  fs.writeFileSync(path.join(root, 'usr/lib/libx.so.1'), Buffer.alloc(70_001, 1));
  fs.symlinkSync('libx.so.1', path.join(root, 'usr/lib/libx.so'));
  fs.symlinkSync('/nowhere/at/all', path.join(root, 'dangling'));
  fs.writeFileSync(path.join(root, 'big'), Buffer.alloc(5000, 2));
  fs.linkSync(path.join(root, 'big'), path.join(root, 'usr/big-link'));
  fs.writeFileSync(path.join(root, 'empty'), '');
  fs.writeFileSync(path.join(root, 'usr/lib/\u00e9t\u00e9'), 'summer');
  const expected = directorySize(root);
  assert.equal(expected, 70_001 + 9 + 15 + 5000 + 6);
  assert.equal(await layerContentSize(packDirectory(root)), expected);
  fs.rmSync(root, { recursive: true, force: true });
});

test('the applier counts the same size from its own headers, only when asked', async () => {
  const tar = await tarBytes([dir('d'), file('d/a', 300), link('d/b', 'd/a'), symlink('s', 'd/a')]);
  const expected = await layerContentSize(Readable.from([tar]));
  const root = fs.mkdtempSync(path.join(tmpdir(), 'shale-content-apply-'));
  try {
    fs.mkdirSync(path.join(root, 'counted'));
    fs.mkdirSync(path.join(root, 'plain'));
    const counted = await applyLayer(path.join(root, 'counted'), Readable.from([tar]), {
      countContent: true,
    });
    assert.equal(counted.contentSize, expected);
    assert.equal(expected, 300 + 3);
    const plain = await applyLayer(path.join(root, 'plain'), Readable.from([tar]));
    assert.equal(plain.contentSize, undefined);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
