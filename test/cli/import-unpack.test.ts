// shale import and unpack through the built binary; umoci is the oracle for unpacked trees.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runDemo } from '../helpers/demo.ts';
import { fileURLToPath } from 'node:url';
import { snapshot } from '../helpers/changes-tree.ts';
import { runShale } from '../helpers/shale.ts';
import { Readable } from 'node:stream';
import { tarsum } from '../../src/archive/tarsum/index.ts';
import type { Digest } from '../../src/core/digest.ts';
import { openStore } from '../../src/store/index.ts';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const example = path.join(repo, 'examples', 'rootfs');

function work(): string {
  return mkdtempSync(path.join(tmpdir(), 'shale-import-'));
}

function shale(root: string, ...args: string[]): string {
  const r = runShale(['--root', root, ...args]);
  assert.equal(r.status, 0, `shale ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

test('import of a directory, then unpack, gives the same tree back', () => {
  const dir = work();
  const root = path.join(dir, 'store');
  const id = shale(root, 'import', example, 'example/rootfs:1').trim();
  assert.match(id, /^sha256:[0-9a-f]{64}$/);
  const [image] = JSON.parse(shale(root, 'inspect', 'example/rootfs:1')) as {
    Id: string;
    RootFS: { Layers: string[] };
  }[];
  assert.equal(image!.Id, id);
  assert.equal(image!.RootFS.Layers.length, 1);
  shale(root, 'unpack', 'example/rootfs:1', path.join(dir, 'out'));
  assert.deepEqual(snapshot(path.join(dir, 'out')), snapshot(example));
});

test('import of an xz tar stores it decompressed; the DiffID is that of the tar', () => {
  const dir = work();
  const root = path.join(dir, 'store');
  execFileSync('tar', [
    '-C',
    example,
    '--numeric-owner',
    '-cJf',
    path.join(dir, 'rootfs.tar.xz'),
    '.',
  ]);
  const plain = execFileSync('xz', ['-dc', path.join(dir, 'rootfs.tar.xz')]);
  shale(root, 'import', path.join(dir, 'rootfs.tar.xz'), 'from-xz');
  const [image] = JSON.parse(shale(root, 'inspect', 'from-xz')) as {
    RootFS: { Layers: string[] };
  }[];
  const expected = `sha256:${execFileSync('sha256sum', { input: plain }).toString().split(' ')[0]}`;
  assert.deepEqual(image!.RootFS.Layers, [expected]);
  assert.ok(
    readdirSync(path.join(root, 'blobs', 'sha256')).includes(expected.slice(7)),
    'the plain tar is the blob',
  );
});

test('importing something that is not a tar fails and leaves the store as it was', () => {
  const dir = work();
  const root = path.join(dir, 'store');
  shale(root, 'images');
  const before = readdirSync(path.join(root, 'blobs', 'sha256'));
  writeFileSync(path.join(dir, 'junk'), Buffer.alloc(4096, 0x41));
  const r = runShale(['--root', root, 'import', path.join(dir, 'junk'), 'junk']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^shale: invalid tar header/);
  assert.deepEqual(readdirSync(path.join(root, 'blobs', 'sha256')), before);
  assert.equal(runShale(['--root', root, 'unpack', 'missing', path.join(dir, 'x')]).status, 1);
});

test('unpack of a loaded image equals umoci unpack of the same layout', () => {
  const dir = work();
  runDemo(path.join(dir, 'demo'));
  const layout = path.join(dir, 'demo', 'oci');
  const root = path.join(dir, 'store');
  shale(root, 'load', '-i', layout);
  shale(root, 'unpack', 'shale-demo', path.join(dir, 'shale-out'));
  execFileSync('skopeo', [
    'copy',
    '-q',
    `oci:${layout}:docker.io/library/shale-demo:latest`,
    `oci:${dir}/umoci:demo`,
  ]);
  execFileSync('umoci', ['unpack', '--image', `${dir}/umoci:demo`, path.join(dir, 'bundle')]);
  assert.deepEqual(
    snapshot(path.join(dir, 'shale-out')),
    snapshot(path.join(dir, 'bundle', 'rootfs')),
  );
  const nonEmpty = runShale(['--root', root, 'unpack', 'shale-demo', path.join(dir, 'shale-out')]);
  assert.equal(nonEmpty.status, 1);
  assert.match(nonEmpty.stderr, /^shale: .* is not empty/);
  assert.ok(readFileSync(path.join(dir, 'shale-out', 'usr/bin/hello')).length > 0);
});

test('import records the TarSum v1 of the layer it creates, computed from the tar', async () => {
  const dir = work();
  const root = path.join(dir, 'store');
  execFileSync('tar', ['-C', example, '--numeric-owner', '-czf', path.join(dir, 'r.tgz'), '.']);
  const plain = execFileSync('gzip', ['-dc', path.join(dir, 'r.tgz')]);
  const id = shale(root, 'import', path.join(dir, 'r.tgz'), 'with-tarsum').trim();
  const store = await openStore(root);
  const image = await store.images.get(id as Digest);
  const layer = await store.layers.get(image!.topLayer!);
  const expected = await tarsum(Readable.from([plain]), { version: 'v1' });
  assert.match(expected, /^tarsum\.v1\+sha256:[0-9a-f]{64}$/);
  assert.equal(layer?.tarsum, expected);
});
