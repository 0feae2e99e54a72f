// Docker (Debian docker.io 20.10, a private dockerd) as the peer: an image enters docker from a
// skopeo-made docker-archive; `docker save` → `shale load` → `shale unpack` equals `umoci unpack`
// of the same image (and the IDs agree); `shale save` → `docker load` (into a daemon without the
// images) → `docker image inspect` shows the IDs, tags and layers `shale inspect` shows.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildSharedLayout, inspect } from '../helpers/archive-images.ts';
import { snapshot } from '../helpers/changes-tree.ts';
import {
  dockerUnavailable,
  startDockerDaemon,
  type DockerDaemon,
} from '../helpers/docker-daemon.ts';
import { runShale } from '../helpers/shale.ts';
import { linksAndDevices, xattrs } from '../helpers/tree-facts.ts';

const skip = dockerUnavailable();
const work = fs.mkdtempSync(path.join(tmpdir(), 'shale-docker-'));
let daemon: DockerDaemon;
let layout: string;

interface DockerInspect {
  Id: string;
  RepoTags: string[];
  RootFS: { Layers: string[] };
}

function dockerInspect(...refs: string[]): DockerInspect[] {
  return JSON.parse(daemon.docker(['image', 'inspect', ...refs])) as DockerInspect[];
}

before(async () => {
  if (skip) return;
  layout = buildSharedLayout(work);
  daemon = await startDockerDaemon();
  for (const tag of ['edge', 'edge-base']) {
    const archive = path.join(work, `skopeo-${tag}.tar`);
    execFileSync('skopeo', [
      '--insecure-policy',
      'copy',
      '-q',
      `oci:${layout}:${tag}`,
      `docker-archive:${archive}:peers/edge:${tag}`,
    ]);
    daemon.docker(['load', '-q', '-i', archive]);
  }
});

after(async () => {
  await daemon?.stop();
});

test('docker save → shale load → shale unpack equals umoci unpack', { skip }, () => {
  const archive = path.join(work, 'docker-save.tar');
  daemon.docker(['save', '-o', archive, 'peers/edge:edge', 'peers/edge:edge-base']);
  const listing = execFileSync('tar', ['-tvf', archive], { encoding: 'utf8' });
  // Docker 20.10 writes a shared layer once and symlinks the other layer.tar to it
  assert.match(listing, /^l.*\/layer\.tar -> \.\.\/[a-f0-9]{64}\/layer\.tar$/m);
  const root = path.join(work, 'store-from-docker');
  const load = runShale(['--root', root, 'load', '-i', archive, '--json']);
  assert.equal(load.status, 0, load.stderr);
  const loaded = JSON.parse(load.stdout) as { Id: string; RepoTags: string[] }[];
  const docker = dockerInspect('peers/edge:edge', 'peers/edge:edge-base');
  assert.deepEqual(loaded.map((l) => l.Id).sort(), docker.map((d) => d.Id).sort());
  const ours = path.join(work, 'shale-tree');
  const unpack = runShale(['--root', root, 'unpack', 'peers/edge:edge', ours]);
  assert.equal(unpack.status, 0, unpack.stderr);
  execFileSync('umoci', ['unpack', '--image', `${layout}:edge`, path.join(work, 'bundle')]);
  const theirs = path.join(work, 'bundle', 'rootfs');
  assert.deepEqual(snapshot(ours), snapshot(theirs));
  assert.deepEqual(linksAndDevices(ours), linksAndDevices(theirs));
  assert.equal(xattrs(ours), xattrs(theirs));
});

test('shale save → docker load → docker image inspect agrees with shale inspect', { skip }, () => {
  const root = path.join(work, 'store-to-docker');
  const load = runShale(['--root', root, 'load', '-i', layout, '--name', 'peers/edge']);
  assert.equal(load.status, 0, load.stderr);
  const tag = runShale(['--root', root, 'tag', 'peers/edge:edge', 'localhost:5000/shale/saved:v1']);
  assert.equal(tag.status, 0, tag.stderr);
  const refs = ['peers/edge:edge', 'localhost:5000/shale/saved:v1', 'peers/edge:edge-base'];
  const archive = path.join(work, 'shale-save.tar');
  const save = runShale(['--root', root, 'save', ...refs, '-o', archive]);
  assert.equal(save.status, 0, save.stderr);
  // a daemon without these images, so that docker load must read every layer
  daemon.docker([
    'rmi',
    '-f',
    ...dockerInspect('peers/edge:edge', 'peers/edge:edge-base').map((d) => d.Id),
  ]);
  assert.equal(daemon.docker(['images', '-q']).trim(), '');
  const output = daemon.docker(['load', '-i', archive]);
  assert.match(output, /Loaded image: peers\/edge:edge\b/);
  const shale = inspect(root, 'peers/edge:edge', 'peers/edge:edge-base');
  const docker = dockerInspect('peers/edge:edge', 'peers/edge:edge-base');
  assert.deepEqual(
    docker.map((d) => ({ Id: d.Id, RepoTags: [...d.RepoTags].sort(), Layers: d.RootFS.Layers })),
    shale.map((s) => ({ Id: s.Id, RepoTags: [...s.RepoTags].sort(), Layers: s.RootFS.Layers })),
  );
  assert.deepEqual(dockerInspect('localhost:5000/shale/saved:v1')[0]!.Id, shale[0]!.Id);
});
