// Issue 15.3 (import part): `shale import` of an endless input used to read forever. Import reads
// a tar only up to the record holding its end-of-archive marker, as GNU tar stops there: /dev/zero
// (an endless run of zero blocks) is an empty archive and refused at once; a valid tar followed by
// endless zeros through a FIFO is imported, with the DiffID of the tar file itself, and so is one
// gzip'd or zstd'd as it streams (import decompresses every input and stores the plain tar).
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { assertRefused, storeState } from '../helpers/refusal.ts';
import { runShale, runShaleAsync } from '../helpers/shale.ts';

function work(): { dir: string; root: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'shale-endless-'));
  const root = path.join(dir, 'store');
  assert.equal(runShale(['--root', root, 'images']).status, 0);
  return { dir, root };
}

test('import /dev/zero ends at once: an empty archive, refused, store unchanged', () => {
  const { root } = work();
  const before = storeState(root);
  assertRefused(runShale(['--root', root, 'import', '/dev/zero', 'zero']), /empty tar archive/);
  assert.deepEqual(storeState(root), before);
});

test('import of a GNU tar followed by endless zeros (FIFO) stops at its end', async () => {
  const { dir, root } = work();
  mkdirSync(path.join(dir, 'tree'));
  writeFileSync(path.join(dir, 'tree', 'hello'), 'hello\n');
  const tar = path.join(dir, 'rootfs.tar');
  execFileSync('tar', ['-C', path.join(dir, 'tree'), '-cf', tar, '.']);
  const fifo = path.join(dir, 'endless');
  execFileSync('mkfifo', [fifo]);
  // The writer never ends by itself; it dies of SIGPIPE once shale closes the FIFO.
  const writer = spawn('sh', ['-c', 'cat "$0" /dev/zero > "$1"', tar, fifo], { stdio: 'ignore' });
  try {
    const r = await runShaleAsync(['--root', root, 'import', fifo, 'endless:1']);
    assert.equal(r.status, 0, r.stderr);
    const [image] = JSON.parse(runShale(['--root', root, 'inspect', 'endless:1']).stdout) as {
      RootFS: { Layers: string[] };
    }[];
    const digest = createHash('sha256').update(readFileSync(tar)).digest('hex');
    assert.deepEqual(image!.RootFS.Layers, [`sha256:${digest}`]);
  } finally {
    if (writer.exitCode === null) writer.kill();
  }
});

for (const [format, compressor] of [
  ['gzip', 'gzip -1'],
  ['zstd', 'zstd -q -1'],
] as const) {
  test(`import of a ${format} stream of a tar then endless zeros (FIFO) stops at the tar's end`, async () => {
    const { dir, root } = work();
    mkdirSync(path.join(dir, 'tree'));
    writeFileSync(path.join(dir, 'tree', 'hello'), 'hello\n');
    const tar = path.join(dir, 'rootfs.tar');
    execFileSync('tar', ['-C', path.join(dir, 'tree'), '-cf', tar, '.']);
    const fifo = path.join(dir, 'endless');
    execFileSync('mkfifo', [fifo]);
    // Compressed as it goes, never ending by itself: the compressor dies of SIGPIPE at the close.
    const script = `cat "$0" /dev/zero | ${compressor} > "$1"`;
    const writer = spawn('sh', ['-c', script, tar, fifo], { stdio: 'ignore' });
    try {
      const r = await runShaleAsync(['--root', root, 'import', fifo, `endless:${format}`]);
      assert.equal(r.status, 0, r.stderr);
      const [image] = JSON.parse(
        runShale(['--root', root, 'inspect', `endless:${format}`]).stdout,
      ) as {
        RootFS: { Layers: string[] };
      }[];
      const digest = createHash('sha256').update(readFileSync(tar)).digest('hex');
      assert.deepEqual(image!.RootFS.Layers, [`sha256:${digest}`]);
    } finally {
      if (writer.exitCode === null) writer.kill();
    }
  });
}
