// The applier's write-behind (src/archive/apply/write-behind.ts): small files created on writer
// threads must leave exactly the tree that writing each file the moment it is read leaves, for
// any batch size and any chunking of the input (which decides what is buffered whole and so goes
// behind); a file a thread cannot create fails the layer naming it; and nothing is written after
// the apply has settled, failed or not.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { applyLayer, type ApplyOptions } from '../../src/archive/apply/index.ts';
import { isShaleError } from '../../src/core/errors.ts';
import {
  dir,
  file,
  hardlink,
  layer,
  symlink,
  whiteout,
  type Entry,
} from '../helpers/layer-sandbox.ts';

/**
 * Every path under `root` with its type, mode, owner, size, time, links and content. A directory
 * made without an entry of its own (the root too) has the time it was made: that is left out.
 */
function describeTree(root: string): string[] {
  const out: string[] = [];
  const visit = (rel: string) => {
    const p = path.join(root, rel);
    const st = fs.lstatSync(p);
    let what = '';
    if (st.isFile()) what = createHash('sha256').update(fs.readFileSync(p)).digest('hex');
    else if (st.isSymbolicLink()) what = fs.readlinkSync(p);
    out.push(
      [rel, st.mode.toString(8), st.uid, st.gid, st.nlink, st.size, stampOf(st), what].join(' '),
    );
    if (st.isDirectory()) for (const name of fs.readdirSync(p).sort()) visit(path.join(rel, name));
  };
  visit('.');
  return out;
}

const stampOf = (st: fs.Stats) =>
  st.isDirectory() && st.mtimeMs > Date.now() - 3_600_000 ? 'made now' : st.mtimeMs;

/** `data` in pieces of `size` bytes, or of random sizes from `sizes`. */
async function* pieces(data: Buffer, sizes: readonly number[]): AsyncGenerator<Uint8Array> {
  await Promise.resolve();
  for (let i = 0, k = 0; i < data.length; k++) {
    const n = sizes[k % sizes.length]!;
    yield data.subarray(i, i + n);
    i += n;
  }
}

async function outcome(
  root: string,
  layers: Buffer[],
  chunks: readonly number[],
  options: ApplyOptions,
): Promise<string> {
  for (const bytes of layers) {
    try {
      await applyLayer(root, pieces(bytes, chunks), options);
    } catch (err) {
      return `failed: ${String(err)}`; // the error's code and message
    }
  }
  return 'applied';
}

const names = fc.constantFrom('a', 'b', 'c', 'd/e', 'd/f', 'd', 'g/h/i', 'g/h', 'l', 'l/x');
const bodies = fc.oneof(
  fc.nat(3000).map((n) => 'y'.repeat(n)),
  fc.constant('z'.repeat(70_000)), // larger than a piece: streamed, never behind
);
/** A hard link's target as generated: the file written last before it (see linkToLastFile). */
const LAST_FILE = '<last file>';

/** Hard links aimed at the last regular file before them; none before: the link is dropped. */
function linkToLastFile(entries: Entry[]): Entry[] {
  let last: string | undefined;
  const out: Entry[] = [];
  for (const e of entries) {
    if (e.header.linkname === LAST_FILE) {
      if (last !== undefined) out.push(hardlink(e.header.name, last));
    } else {
      if (e.body !== undefined && e.body.length > 0) last = e.header.name;
      out.push(e);
    }
  }
  return out;
}

const entry: fc.Arbitrary<Entry> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .tuple(names, bodies, fc.constantFrom(0o644, 0o755, 0o4755, 0o600, 0o666))
      .map(([n, body, mode]) => file(n, body, { mode, mtime: 1_500_000_000 + body.length })),
  },
  { weight: 2, arbitrary: names.map((n) => dir(`${n}/`, { mode: 0o750 })) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(names, fc.constantFrom('d', 'g/h', 'a', '../x'))
      .map(([n, t]) => symlink(n, t)),
  },
  { weight: 1, arbitrary: names.map((n) => hardlink(n, LAST_FILE)) },
  { weight: 1, arbitrary: names.map((n) => whiteout(n.replace(/([^/]+)$/, '.wh.$1'))) },
);

test('write-behind leaves the tree that writing each file at once leaves, for any batch and chunking', async () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'shale-write-behind-'));
  const RUNS = 150;
  let applied = 0;
  try {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(entry, { maxLength: 25 }), { minLength: 1, maxLength: 2 }),
        fc.oneof(
          fc.constantFrom([1], [7], [512]),
          fc.array(fc.integer({ min: 1, max: 9000 }), { minLength: 1, maxLength: 8 }),
        ),
        fc.constantFrom(1, 2, 7, 256),
        async (entryLayers, chunks, filesPerBatch) => {
          const layers = await Promise.all(entryLayers.map((e) => layer(linkToLastFile(e))));
          const one = fs.mkdtempSync(path.join(work, 'at-once-'));
          const behind = fs.mkdtempSync(path.join(work, 'behind-'));
          const atOnce = await outcome(one, layers, [1 << 20], {
            writerThreads: 0,
            filesPerBatch: 1,
          });
          const threaded = await outcome(behind, layers, chunks, {
            writerThreads: 2,
            filesPerBatch,
          });
          assert.equal(threaded, atOnce);
          if (atOnce === 'applied') {
            applied++;
            assert.deepEqual(describeTree(behind), describeTree(one));
          }
          fs.rmSync(one, { recursive: true });
          fs.rmSync(behind, { recursive: true });
        },
      ),
      { numRuns: RUNS },
    );
    // Layers that fail (a file where a directory must be…) compare only their error: most must apply.
    assert.ok(applied >= RUNS / 2, `only ${applied} of ${RUNS} random layers applied`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});

/** A layer of `count` small files in one directory, the one at `bad` named `badName`. */
function manyFiles(count: number, bad: number, badName: string): Promise<Buffer> {
  const entries: Entry[] = [dir('many/')];
  for (let i = 0; i < count; i++) {
    entries.push(file(i === bad ? `many/${badName}` : `many/f${i}`, `body ${i}\n`));
  }
  return layer(entries);
}

/** The names under `root` now and again after a while: equal once the apply has settled. */
async function stillAfterSettling(root: string): Promise<void> {
  const now = describeTree(root);
  await sleep(300);
  assert.deepEqual(describeTree(root), now, 'the tree changed after the apply settled');
}

test('a file a writer thread cannot create fails the layer naming it; nothing is written after', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'shale-write-behind-'));
  try {
    const tooLong = `n${'x'.repeat(300)}`; // one name over the kernel's 255 bytes
    const bytes = await manyFiles(2000, 1500, tooLong);
    await assert.rejects(
      applyLayer(root, pieces(bytes, [64 << 10]), { writerThreads: 2, filesPerBatch: 64 }),
      (err) =>
        isShaleError(err, 'ERR_BAD_TAR') &&
        err.message.includes('cannot apply entry "many/nxxxx') &&
        err.message.includes('ENAMETOOLONG'),
    );
    await stillAfterSettling(root);
    // Files handed over before the bad one were written; the layer stopped there or soon after.
    assert.ok(fs.existsSync(path.join(root, 'many', 'f0')));
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('a full file system fails the layer with the system error (no space), not as a bad tar', async () => {
  assert.equal(process.getuid?.(), 0, 'this test mounts a tmpfs: run it as root');
  const mount = fs.mkdtempSync(path.join(os.tmpdir(), 'shale-write-behind-full-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mount]);
  try {
    const big = Buffer.alloc(2000, 1);
    const entries: Entry[] = [dir('many/')];
    for (let i = 0; i < 400; i++)
      entries.push({ header: { name: `many/f${i}`, mode: 0o644, mtime: 0 }, body: big });
    const full = await layer(entries);
    await assert.rejects(
      applyLayer(mount, pieces(full, [64 << 10]), { writerThreads: 2, filesPerBatch: 16 }),
      (err) => !isShaleError(err) && (err as NodeJS.ErrnoException).code === 'ENOSPC',
    );
    await stillAfterSettling(mount);
  } finally {
    execFileSync('umount', [mount]);
    fs.rmdirSync(mount);
  }
});
