// shale load + unpack equals umoci unpack of the same layout: types, modes, owners, contents, link
// targets, hard-link groups, device numbers and xattrs — for an edge-case image and for one shaped
// like the `many-small` benchmark preset (scaled down), both built by the project's generators.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ensureFixture } from '../../support/fixtures/image.ts';
import { DEFAULTS, PRESETS } from '../../support/fixtures/presets.ts';
import { snapshot } from '../helpers/changes-tree.ts';
import { linksAndDevices, xattrs } from '../helpers/tree-facts.ts';
import { buildEdgeImage } from '../helpers/edge-image.ts';
import { runShale } from '../helpers/shale.ts';

test('unpack of an edge-case image equals umoci unpack', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'shale-umoci-'));
  const layout = path.join(work, 'layout');
  buildEdgeImage(path.join(work, 'trees'), layout);
  const root = path.join(work, 'store');
  const load = runShale(['--root', root, 'load', '-i', layout, '--name', 'peers/edge']);
  assert.equal(load.status, 0, load.stderr);
  const unpack = runShale(['--root', root, 'unpack', 'peers/edge:edge', path.join(work, 'shale')]);
  assert.equal(unpack.status, 0, unpack.stderr);
  execFileSync('umoci', ['unpack', '--image', `${layout}:edge`, path.join(work, 'bundle')]);
  const ours = path.join(work, 'shale');
  const theirs = path.join(work, 'bundle', 'rootfs');
  assert.deepEqual(snapshot(ours), snapshot(theirs));
  assert.deepEqual(linksAndDevices(ours), linksAndDevices(theirs));
  assert.equal(xattrs(ours), xattrs(theirs));
  assert.match(xattrs(ours), /user\.binary=0x00ff10/);
  const { groups, devices } = linksAndDevices(ours);
  assert.ok(
    groups.some((g) => g.includes('/usr/lib/hl-b') && g.includes('/bin/hl-c')),
    'hard links kept after a whiteout of one name',
  );
  if (process.getuid?.() === 0) assert.equal(Object.keys(devices).length, 1);
  const tree = snapshot(ours);
  assert.ok(
    tree.has('/etc/delete-me') && !tree.has('/opt/remove-dir/sub'),
    'whiteouts and re-additions applied',
  );
  assert.deepEqual(
    [...tree.keys()].filter((k) => k.startsWith('/var/opaque/')),
    ['/var/opaque/new-after-opq'],
  );
});

test('unpack of a many-small image (20k files in 5 layers) equals umoci unpack', async () => {
  const work = mkdtempSync(path.join(tmpdir(), 'shale-umoci-many-'));
  const fixture = await ensureFixture({
    dir: path.join(work, 'fixture'),
    name: 'many-small',
    params: { ...DEFAULTS, ...PRESETS['many-small'], files: 20_000, bytes: 16 * 1024 * 1024 },
    log: () => undefined,
  });
  const root = path.join(work, 'store');
  const layout = path.join(fixture.dir, 'oci');
  const load = runShale(['--root', root, 'load', '-i', layout, '--name', 'bench/many-small']);
  assert.equal(load.status, 0, load.stderr);
  const ours = path.join(work, 'shale');
  const unpack = runShale(['--root', root, 'unpack', 'bench/many-small:many-small', ours]);
  assert.equal(unpack.status, 0, unpack.stderr);
  execFileSync('umoci', ['unpack', '--image', `${layout}:many-small`, path.join(work, 'bundle')]);
  const theirs = path.join(work, 'bundle', 'rootfs');
  const tree = snapshot(ours);
  assert.ok(tree.size > 20_000, `expected over 20000 entries, got ${tree.size}`);
  assert.deepEqual(tree, snapshot(theirs));
  assert.deepEqual(linksAndDevices(ours), linksAndDevices(theirs));
  fs.rmSync(work, { recursive: true, force: true });
});
