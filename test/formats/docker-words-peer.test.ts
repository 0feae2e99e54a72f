// shale's rmi, prune -a -f and load reports against a real dockerd 20.10 on the same images (one
// archive loaded into both). Documented differences, asserted as such below:
// - errors: docker prints `Error: No such image: X` (Debian's 20.10.24 client; other clients say
//   `Error response from daemon: No such image: X:latest`) and `… conflict: …`; shale
//   `shale: no such image: X` and `shale: conflict: …` (its own prefix, the same words after it);
// - load: docker prints `Loaded image…` on stdout; shale on stderr (its stdout carries image IDs);
// - prune's `Total reclaimed space`: docker sums the layers' unpacked sizes, shale the bytes of the
//   blobs it freed, so only the line's form is compared.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  dockerUnavailable,
  startDockerDaemon,
  type DockerDaemon,
} from '../helpers/docker-daemon.ts';
import { buildLayeredImage } from '../helpers/layered-image.ts';
import { runShale } from '../helpers/shale.ts';

const skip = dockerUnavailable();
let daemon: DockerDaemon;
let work: string;
let tagged: string;
let untagged: string;
let id: string;

before(async () => {
  if (skip) return;
  work = fs.mkdtempSync(path.join(tmpdir(), 'shale-words-peer-'));
  const build = path.join(work, 'build');
  id = buildLayeredImage(build, path.join(work, 'trees'), 'words/app:1', 3, 64 * 1024);
  tagged = path.join(work, 'tagged.tar');
  untagged = path.join(work, 'untagged.tar');
  assert.equal(runShale(['--root', build, 'save', 'words/app:1', '-o', tagged]).status, 0);
  assert.equal(runShale(['--root', build, 'save', id, '-o', untagged]).status, 0);
  daemon = await startDockerDaemon();
});

after(async () => {
  await daemon?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

/** docker with its status and both streams (daemon.docker throws on failure). */
function docker(...args: string[]) {
  const r = spawnSync(daemon.client, args, { env: daemon.env, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function shaleRoot(archive: string): string {
  const root = fs.mkdtempSync(path.join(work, 'root-'));
  assert.equal(runShale(['--root', root, 'load', '-q', '-i', archive]).status, 0);
  return root;
}

function removeAllFromDocker(): void {
  const ids = docker('images', '-aq', '--no-trunc').stdout.trim();
  if (ids !== '') docker('rmi', '-f', ...new Set(ids.split('\n')));
}

test('load reports the same lines (docker: stdout; shale: stderr)', { skip }, () => {
  for (const archive of [tagged, untagged]) {
    removeAllFromDocker();
    const theirs = docker('load', '-i', archive);
    assert.equal(theirs.status, 0, theirs.stderr);
    const root = fs.mkdtempSync(path.join(work, 'root-'));
    const ours = runShale(['--root', root, 'load', '-i', archive]);
    assert.equal(ours.stderr, theirs.stdout);
  }
});

test(
  'rmi: the same Untagged/Deleted lines, layers included; the same conflict words',
  { skip },
  () => {
    removeAllFromDocker();
    docker('load', '-q', '-i', tagged);
    const root = shaleRoot(tagged);
    const both = (...args: string[]) => ({
      theirs: docker('rmi', ...args),
      ours: runShale(['--root', root, 'rmi', ...args]),
    });
    for (const [src, dest] of [['words/app:1', 'other/name:1']]) {
      docker('tag', src!, dest!);
      runShale(['--root', root, 'tag', src!, dest!]);
    }
    const untag = both('other/name:1');
    assert.equal(untag.ours.stdout, untag.theirs.stdout);
    docker('tag', 'words/app:1', 'other/name:1');
    runShale(['--root', root, 'tag', 'words/app:1', 'other/name:1']);
    const conflict = both(id.slice(7, 19));
    assert.equal(conflict.ours.status, 1);
    assert.equal(
      conflict.ours.stderr.replace(/^shale: /, ''),
      conflict.theirs.stderr.replace(/^Error response from daemon: /, ''),
    );
    const forced = both('-f', id.slice(7, 19));
    assert.equal(forced.ours.stdout, forced.theirs.stdout);
    assert.match(forced.ours.stdout, /^Untagged: other\/name:1\nUntagged: words\/app:1\nDeleted: /);
    assert.equal(forced.ours.stdout.split('\n').filter((l) => l.startsWith('Deleted:')).length, 4);
    const missing = both('nosuch');
    assert.equal(missing.ours.status, 1);
    assert.equal(missing.ours.stderr, 'shale: no such image: nosuch\n');
    // The same words once each side's prefix is off: docker's client says `Error: No such image:
    // nosuch` (Debian's 20.10.24) or `Error response from daemon: … nosuch:latest` (others).
    const words = (stderr: string) =>
      stderr
        .trim()
        .replace(/^(shale|Error|Error response from daemon): /, '')
        .replace(/:latest$/, '')
        .toLowerCase();
    assert.equal(words(missing.ours.stderr), words(missing.theirs.stderr));
  },
);

test(
  'rmi by name of the last tag deletes the image and its layers as docker does',
  { skip },
  () => {
    removeAllFromDocker();
    docker('load', '-q', '-i', tagged);
    const root = shaleRoot(tagged);
    const theirs = docker('rmi', 'words/app:1');
    const ours = runShale(['--root', root, 'rmi', 'words/app:1']);
    assert.equal(ours.status, 0, ours.stderr);
    assert.equal(ours.stdout, theirs.stdout);
  },
);

test(
  'prune -a -f of a dangling image: the same report but for the reclaimed figure',
  { skip },
  () => {
    removeAllFromDocker();
    docker('load', '-q', '-i', untagged);
    const root = shaleRoot(untagged);
    const theirs = docker('image', 'prune', '-a', '-f');
    const ours = runShale(['--root', root, 'prune', '-a', '-f']);
    assert.equal(ours.status, 0, ours.stderr);
    const body = (out: string) => out.replace(/Total reclaimed space: \S+\n$/, '');
    assert.equal(body(ours.stdout), body(theirs.stdout));
    assert.match(body(ours.stdout), /^Deleted Images:\ndeleted: sha256:/);
    assert.match(ours.stdout, /\nTotal reclaimed space: [\d.]+kB\n$/);
    const again = docker('image', 'prune', '-a', '-f');
    assert.equal(runShale(['--root', root, 'prune', '-a', '-f']).stdout, again.stdout);
  },
);
