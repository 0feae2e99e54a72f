// packDirectory against GNU tar: the same tree archived by both has the same TarSum (v1 hashes
// names, modes, owners, sizes, types, link targets, devices and content — everything but the
// header encoding), and GNU tar extracts our archive to an identical tree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  lstatSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
  createWriteStream,
  createReadStream,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { packDirectory } from '../../src/archive/pack.ts';
import { tarsum } from '../../src/archive/tarsum/index.ts';
import { readTar } from '../../src/archive/tar/index.ts';

const isRoot = process.getuid?.() === 0;

function makeTree(root: string): void {
  mkdirSync(path.join(root, 'etc'), { recursive: true });
  mkdirSync(path.join(root, 'usr/lib'), { recursive: true });
  mkdirSync(path.join(root, 'a.b'));
  mkdirSync(path.join(root, 'a'));
  writeFileSync(path.join(root, 'a/inner'), 'inner\n');
  writeFileSync(path.join(root, 'etc/passwd'), 'root:x:0:0::/root:/bin/sh\n');
  writeFileSync(path.join(root, 'usr/lib/big'), Buffer.alloc(300_000, 7));
  writeFileSync(path.join(root, 'usr/lib/empty'), '');
  linkSync(path.join(root, 'usr/lib/big'), path.join(root, 'usr/lib/big-link'));
  symlinkSync('../etc/passwd', path.join(root, 'usr/passwd-link'));
  symlinkSync('/' + 'x'.repeat(150), path.join(root, 'long-target'));
  const deep = path.join(root, 'long', 'd'.repeat(90), 'e'.repeat(90));
  mkdirSync(deep, { recursive: true });
  writeFileSync(path.join(deep, 'f'.repeat(120)), 'deep\n');
  writeFileSync(Buffer.from(path.join(root, 'caf\xe9-latin1'), 'latin1'), 'latin1 name\n');
  writeFileSync(path.join(root, 'café-utf8'), 'utf8 name\n');
  execFileSync('mkfifo', [path.join(root, 'fifo')]);
  if (isRoot) execFileSync('mknod', [path.join(root, 'null'), 'c', '1', '3']);
  chmodSync(path.join(root, 'etc/passwd'), 0o4755);
  utimesSync(path.join(root, 'etc/passwd'), 1_600_000_000, 1_600_000_000);
}

test(`packDirectory matches GNU tar's TarSum and extracts identically${isRoot ? '' : ' (no device node: not root)'}`, async () => {
  const work = mkdtempSync(path.join(tmpdir(), 'shale-pack-'));
  try {
    const tree = path.join(work, 'tree');
    mkdirSync(tree);
    makeTree(tree);
    const ours = path.join(work, 'ours.tar');
    await pipeline(packDirectory(tree), createWriteStream(ours));
    const gnu = path.join(work, 'gnu.tar');
    const names = execFileSync('sh', [
      '-c',
      `cd "${tree}" && find . -mindepth 1 -maxdepth 1 -printf '%P\\0' | LC_ALL=C sort -z`,
    ]);
    const r = spawnSync(
      'tar',
      [
        '-C',
        tree,
        '--format=pax',
        '--sort=name',
        '--numeric-owner',
        '--null',
        '-T',
        '-',
        '-cf',
        gnu,
      ],
      { input: names },
    );
    assert.equal(r.status, 0, r.stderr.toString());

    for (const version of ['v1', 'dev'] as const) {
      const mine = await tarsum(createReadStream(ours), { version });
      const theirs = await tarsum(createReadStream(gnu), { version });
      assert.equal(mine, theirs, `tarsum ${version}`);
    }
    // v0 hashes mtime too; both keep whole seconds, so they agree as well.
    assert.equal(
      await tarsum(createReadStream(ours), { version: 'v0' }),
      await tarsum(createReadStream(gnu), { version: 'v0' }),
    );

    const names1: string[] = [];
    for await (const e of readTar(createReadStream(ours))) names1.push(e.header.name);
    assert.ok(
      names1.includes('a/inner') && names1.indexOf('a/') < names1.indexOf('a.b/'),
      'lexical order, directory before its children',
    );
    assert.ok(!names1.some((n) => n.startsWith('./')), 'no ./ prefix');

    const out = path.join(work, 'out');
    mkdirSync(out);
    const x = spawnSync('tar', ['-C', out, '--numeric-owner', '-xpf', ours]);
    assert.equal(x.status, 0, x.stderr.toString());
    assert.equal(readlinkSync(path.join(out, 'long-target')), '/' + 'x'.repeat(150));
    assert.equal(
      lstatSync(path.join(out, 'usr/lib/big')).ino,
      lstatSync(path.join(out, 'usr/lib/big-link')).ino,
    );
    assert.equal(
      readFileSync(Buffer.from(path.join(out, 'caf\xe9-latin1'), 'latin1'), 'utf8'),
      'latin1 name\n',
    );
    assert.equal(lstatSync(path.join(out, 'etc/passwd')).mode & 0o7777, 0o4755);
    assert.equal(lstatSync(path.join(out, 'etc/passwd')).mtimeMs, 1_600_000_000_000);
    assert.ok(lstatSync(path.join(out, 'fifo')).isFIFO());
    if (isRoot)
      assert.equal(lstatSync(path.join(out, 'null')).rdev, lstatSync(path.join(tree, 'null')).rdev);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test('packDirectory refuses sockets with ERR_UNSUPPORTED', async () => {
  const work = mkdtempSync(path.join(tmpdir(), 'shale-pack-sock-'));
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(path.join(work, 'sock'), resolve));
  try {
    await assert.rejects(
      pipeline(
        packDirectory(work),
        createWriteStream(path.join(tmpdir(), `shale-sock-${process.pid}.tar`)),
      ),
      (e: Error & { code?: string }) => e.code === 'ERR_UNSUPPORTED',
    );
  } finally {
    server.close();
    rmSync(work, { recursive: true, force: true });
  }
});
