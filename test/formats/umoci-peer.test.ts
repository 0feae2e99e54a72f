// umoci as the peer: `umoci unpack` of the OCI layout shale saves (oci-dir), of its oci-archive
// and of its docker-archive (a dual layout: also an OCI layout) once extracted, equals
// `shale unpack` of the same image.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildSharedLayout, loadShared } from '../helpers/archive-images.ts';
import { snapshot } from '../helpers/changes-tree.ts';
import { runShale } from '../helpers/shale.ts';
import { linksAndDevices, xattrs } from '../helpers/tree-facts.ts';

const work = fs.mkdtempSync(path.join(tmpdir(), 'shale-umoci-save-'));
const source = path.join(work, 'store');
loadShared(buildSharedLayout(work), source);
const REF = 'peers/edge:edge';
const ours = path.join(work, 'shale-tree');
const unpack = runShale(['--root', source, 'unpack', REF, ours]);
assert.equal(unpack.status, 0, unpack.stderr);

function assertSameTree(theirs: string): void {
  assert.deepEqual(snapshot(ours), snapshot(theirs));
  assert.deepEqual(linksAndDevices(ours), linksAndDevices(theirs));
  assert.equal(xattrs(ours), xattrs(theirs));
}

function saved(format: string, output: string): string {
  const r = runShale([
    '--root',
    source,
    'save',
    REF,
    'peers/edge:edge-base',
    '--format',
    format,
    '-o',
    output,
  ]);
  assert.equal(r.status, 0, r.stderr);
  return output;
}

function extracted(archive: string): string {
  const dir = `${archive}.d`;
  fs.mkdirSync(dir);
  execFileSync('tar', ['-xf', archive, '-C', dir]);
  return dir;
}

for (const [format, name, refName] of [
  ['oci-dir', 'saved-oci-dir', 'docker.io/peers/edge:edge'],
  ['oci', 'edge.oci.tar', 'docker.io/peers/edge:edge'],
  ['docker', 'edge.docker.tar', 'edge'],
] as const) {
  test(`umoci unpack of shale's ${format} output equals shale unpack`, () => {
    const output = saved(format, path.join(work, name));
    const layout = format === 'oci-dir' ? output : extracted(output);
    const bundle = path.join(work, `bundle-${format}`);
    execFileSync('umoci', ['unpack', '--image', `${layout}:${refName}`, bundle]);
    assertSameTree(path.join(bundle, 'rootfs'));
  });
}
