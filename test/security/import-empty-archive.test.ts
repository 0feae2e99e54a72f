// Issue 15.7 (import part): `shale import` of an empty file, or of a tar holding nothing but its
// end-of-archive marker, used to make an image; Docker refuses an empty archive. Refused now, in
// every compression, with a message saying what is wrong, and the store left as it was.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { assertRefused, storeState } from '../helpers/refusal.ts';
import { runShale } from '../helpers/shale.ts';

function refusedImport(name: string, bytes: Buffer, message: RegExp): void {
  const dir = mkdtempSync(path.join(tmpdir(), 'shale-empty-'));
  const root = path.join(dir, 'store');
  assert.equal(runShale(['--root', root, 'images']).status, 0);
  const before = storeState(root);
  const input = path.join(dir, name);
  writeFileSync(input, bytes);
  assertRefused(runShale(['--root', root, 'import', input, 'empty:1']), message);
  assert.deepEqual(storeState(root), before);
}

test('import of an empty file is refused: no tar data', () => {
  refusedImport('empty.tar', Buffer.alloc(0), /empty\.tar: it is empty \(no tar data\)/);
});

test('import of a gzip of nothing is refused: no tar data', () => {
  refusedImport('empty.tar.gz', gzipSync(Buffer.alloc(0)), /it is empty \(no tar data\)/);
});

test('import of a tar holding only its end-of-archive marker is refused', () => {
  refusedImport('end.tar', Buffer.alloc(1024), /it is an empty tar archive \(no entries/);
});

test('import of GNU tar of an empty file list is refused, in any compression', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'shale-empty-'));
  mkdirSync(path.join(dir, 'nothing'));
  const plain = execFileSync('tar', [
    '-C',
    path.join(dir, 'nothing'),
    '-cf',
    '-',
    '--files-from',
    '/dev/null',
  ]);
  refusedImport('gnu-empty.tar', plain, /empty tar archive/);
  refusedImport('gnu-empty.tar.gz', gzipSync(plain), /empty tar archive/);
  refusedImport(
    'gnu-empty.tar.xz',
    execFileSync('xz', ['-c'], { input: plain }),
    /empty tar archive/,
  );
});
