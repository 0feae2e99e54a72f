// Issue 15.6, super-linear applier: each entry used to re-resolve its parent from the root, one
// lstat per component, so a deep tree took minutes. Resolution is now incremental: the file-system
// calls per entry are bounded by a constant on a 2,000-deep tree and a 20,000-entry directory
// (counted, not timed; bench/ has the timings). A tree deeper than Linux's path limit is refused
// as a bad tar, through the library and the CLI, with nothing outside the root touched.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { applyLayer } from '../../src/archive/apply/index.ts';
import { countFsCalls, total } from '../helpers/fs-call-counter.ts';
import {
  chunksOf,
  dir,
  file,
  hostile,
  layer,
  makeSandbox,
  type Entry,
} from '../helpers/layer-sandbox.ts';
import { assertRefused, storeState } from '../helpers/refusal.ts';
import { runShale } from '../helpers/shale.ts';

/** `depth` nested directories named `seg`, each an entry, and a file at the bottom. */
function deepTree(seg: string, depth: number): Entry[] {
  const entries: Entry[] = [];
  let p = '';
  for (let i = 0; i < depth; i++) entries.push(dir((p += `${seg}/`)));
  entries.push(file(`${p}bottom`, 'deep'));
  return entries;
}

/** Applies `entries` to a fresh root; the file-system calls made, per entry. */
async function callsPerEntry(entries: Entry[]): Promise<number> {
  const bytes = await layer(entries);
  const sb = makeSandbox();
  try {
    const counts = await countFsCalls(async () => {
      const r = await applyLayer(sb.root, chunksOf(bytes));
      assert.equal(r.entries, entries.length);
    });
    return total(counts) / entries.length;
  } finally {
    execFileSync('rm', ['-rf', sb.tmp]); // fs.rmSync recurses once per level: too deep for it
  }
}

// Per entry: a directory is mkdir + lstat + chown/chmod/utimes + its re-stamp; a file is open,
// fstat, write, utimes, close. Re-resolving a 2,000-deep parent would be ~1,000 lstats on average.
const MAX_CALLS_PER_ENTRY = 12;

test('a 2,000-deep tree unpacks with a bounded number of fs calls per entry', async () => {
  const perEntry = await callsPerEntry(deepTree('a', 2000));
  assert.ok(perEntry <= MAX_CALLS_PER_ENTRY, `${perEntry.toFixed(1)} fs calls per entry`);
});

test('a 20,000-entry flat directory unpacks with a bounded number of fs calls per entry', async () => {
  const entries = [dir('flat/')];
  for (let i = 0; i < 20_000; i++) entries.push(file(`flat/f${i}`, 'x'));
  const perEntry = await callsPerEntry(entries);
  assert.ok(perEntry <= MAX_CALLS_PER_ENTRY, `${perEntry.toFixed(1)} fs calls per entry`);
});

test('files landing in a deep directory after it was resolved cost no re-resolution', async () => {
  const entries = deepTree('b', 500);
  for (let i = 0; i < 2000; i++) entries.push(file(`${'b/'.repeat(500)}f${i}`, 'x'));
  const perEntry = await callsPerEntry(entries);
  assert.ok(perEntry <= MAX_CALLS_PER_ENTRY, `${perEntry.toFixed(1)} fs calls per entry`);
});

// 10-byte components: 500 of them are 5,500 bytes, over the 4,096-byte PATH_MAX.
const TOO_DEEP = deepTree('d123456789', 500);

test('a whiteout removes a 2,000-deep tree', async () => {
  await hostile([deepTree('a', 2000), [file('.wh.a', '')]], {
    check: ({ sb }) => assert.deepEqual(readdirSync(sb.root), []),
  });
});

test('a tree deeper than the path limit is refused as a bad tar, fast', async () => {
  const started = Date.now();
  await hostile([TOO_DEEP], {
    code: 'ERR_BAD_TAR',
    check: () => assert.ok(Date.now() - started < 60_000),
  });
});

test('a single entry deeper than the path limit (parents implied) is refused', async () => {
  await hostile([[file(`${'d123456789/'.repeat(500)}f`, 'x')]], { code: 'ERR_BAD_TAR' });
});

test('shale unpack of an image whose layer is deeper than the path limit: exit 1, one line', async () => {
  const work = mkdtempSync(path.join(tmpdir(), 'shale-deep-'));
  const root = path.join(work, 'store');
  const tar = path.join(work, 'deep.tar');
  writeFileSync(tar, await layer(TOO_DEEP));
  const imported = runShale(['--root', root, 'import', tar, 'deep:1']);
  assert.equal(imported.status, 0, imported.stderr);
  const before = storeState(root);
  const out = path.join(work, 'out');
  assertRefused(runShale(['--root', root, 'unpack', 'deep:1', out]), /too deep.*path limit/);
  assert.deepEqual(storeState(root), before);
  assert.ok(!readdirSync(work).includes('out'), 'unpack left its target behind');
});
