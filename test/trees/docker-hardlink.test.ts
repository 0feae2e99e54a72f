// A hard link made to a lower-layer file, committed by a real dockerd 20.10 (overlay2) and by
// shale: the same image (a rootfs holding /bin/ln and its libraries, copied from this machine)
// in both, `ln /usr/share/f /etc/f-link` in a container and in a shale checkout, then the
// committed layers' entries compared. What the daemon writes: the target copied up as a file
// entry, the new name a hard-link entry to it, their parent directories — the first name in
// path order carries the body (here the new name, /etc/f-link). One difference stays, on
// purpose: `docker diff` (naive ChangesDirs in 20.10) does not list the copied-up target while
// its layer holds it; `shale diff` lists it as C, as what its commit writes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { readTar } from '../../src/archive/tar/index.ts';
import { importRootfs } from '../../src/trees/rootfs-import.ts';
import { checkout, commitWorktree, diffWorktree } from '../../src/trees/worktree.ts';
import { openStore } from '../../src/store/index.ts';
import {
  dockerUnavailable,
  startDockerDaemon,
  type DockerDaemon,
} from '../helpers/docker-daemon.ts';

const skip = dockerUnavailable();
const work = fs.mkdtempSync(path.join(tmpdir(), 'shale-docker-link-'));
const rootfs = path.join(work, 'rootfs');
let daemon: DockerDaemon;

/** /bin/ln of this machine with the shared libraries it loads, plus two plain files. */
function makeRootfs(): void {
  fs.mkdirSync(path.join(rootfs, 'bin'), { recursive: true });
  const ln = execFileSync('sh', ['-c', 'command -v ln'], { encoding: 'utf8' }).trim();
  fs.copyFileSync(fs.realpathSync(ln), path.join(rootfs, 'bin/ln'));
  fs.chmodSync(path.join(rootfs, 'bin/ln'), 0o755);
  const libs = execFileSync('ldd', [ln], { encoding: 'utf8' }).match(/\/\S+/g) ?? [];
  for (const lib of libs) execFileSync('cp', ['-L', '--parents', lib, rootfs]);
  fs.mkdirSync(path.join(rootfs, 'etc'));
  fs.writeFileSync(path.join(rootfs, 'etc/hosts'), '127.0.0.1 localhost\n');
  fs.mkdirSync(path.join(rootfs, 'usr/share'), { recursive: true });
  fs.writeFileSync(path.join(rootfs, 'usr/share/f'), 'lower content\n');
}

interface Entry {
  name: string;
  typeflag: string;
  linkname: string;
  size: number;
  perm: number;
  body: string;
}

async function entriesOf(tar: Readable): Promise<Entry[]> {
  const out: Entry[] = [];
  for await (const e of readTar(tar)) {
    const chunks: Buffer[] = [];
    for await (const chunk of e.body) chunks.push(Buffer.from(chunk as Uint8Array));
    const { name, typeflag, linkname, size, mode } = e.header;
    out.push({
      name,
      typeflag,
      linkname,
      size,
      perm: mode & 0o7777,
      body: String(Buffer.concat(chunks)),
    });
  }
  return out;
}

before(async () => {
  if (skip) return;
  makeRootfs();
  daemon = await startDockerDaemon({ driver: 'overlay2' });
});

after(async () => {
  await daemon?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

test(
  'ln to a lower-layer file: shale commits the layer dockerd (overlay2) commits',
  { skip },
  async () => {
    // docker: import, link in a container, commit, save, the top layer's entries.
    const tar = path.join(work, 'rootfs.tar');
    execFileSync('tar', ['-C', rootfs, '-cf', tar, '.']);
    daemon.docker(['import', tar, 'linkbase:1']);
    daemon.docker([
      'run',
      '--name',
      'linker',
      '--network',
      'none',
      'linkbase:1',
      '/bin/ln',
      '/usr/share/f',
      '/etc/f-link',
    ]);
    assert.equal(
      daemon.docker(['diff', 'linker']),
      'C /etc\nA /etc/f-link\n',
      'docker diff leaves the copied-up target out',
    );
    daemon.docker(['commit', 'linker', 'linkbase:2']);
    const saved = path.join(work, 'saved');
    fs.mkdirSync(saved);
    daemon.docker(['save', '-o', path.join(saved, 'image.tar'), 'linkbase:2']);
    execFileSync('tar', ['-C', saved, '-xf', path.join(saved, 'image.tar')]);
    const [manifest] = JSON.parse(fs.readFileSync(path.join(saved, 'manifest.json'), 'utf8')) as {
      Layers: string[];
    }[];
    const theirs = await entriesOf(fs.createReadStream(path.join(saved, manifest!.Layers.at(-1)!)));

    // shale: the same rootfs, a checkout, the same link, a commit.
    const store = await openStore(path.join(work, 'store'));
    const base = await importRootfs(store, rootfs);
    const tree = path.join(work, 'tree');
    await checkout(store, base, tree);
    fs.linkSync(path.join(tree, 'usr/share/f'), path.join(tree, 'etc/f-link'));
    assert.deepEqual(
      (await diffWorktree(store, tree)).map((c) => `${c.kind} ${c.path}`),
      ['C /etc', 'A /etc/f-link', 'C /usr', 'C /usr/share', 'C /usr/share/f'],
    );
    const child = await commitWorktree(store, tree);
    const layer = await store.layers.get((await store.images.get(child))!.topLayer!);
    const ours = await entriesOf(await store.layers.openDiff(layer!.diffId));

    assert.deepEqual(ours, theirs);
    assert.deepEqual(
      ours.map((e) => [e.name, e.typeflag, e.linkname]),
      [
        ['etc/', '5', ''],
        ['etc/f-link', '0', ''],
        ['usr/', '5', ''],
        ['usr/share/', '5', ''],
        ['usr/share/f', '1', 'etc/f-link'],
      ],
    );
  },
);
