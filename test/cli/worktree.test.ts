// checkout → change → diff → commit → unpack, through the built binary, against hand-written
// expectations (spec §7.3: parent-directory C entries, every descendant of an added directory).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  appendFileSync,
  chmodSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { snapshot } from '../helpers/changes-tree.ts';
import { runShale } from '../helpers/shale.ts';

const example = fileURLToPath(new URL('../../examples/rootfs', import.meta.url));

function shale(root: string, ...args: string[]): string {
  const r = runShale(['--root', root, ...args]);
  assert.equal(r.status, 0, `shale ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

test('checkout, change, diff --json, commit, unpack', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'shale-worktree-'));
  const root = path.join(dir, 'store');
  const base = shale(root, 'import', example, 'example:base').trim();
  const tree = path.join(dir, 'tree');
  shale(root, 'checkout', 'example:base', tree);
  assert.deepEqual(JSON.parse(shale(root, 'diff', tree, '--json')), []);

  writeFileSync(path.join(tree, 'etc/new.conf'), 'new\n');
  mkdirSync(path.join(tree, 'opt/app/bin'), { recursive: true });
  writeFileSync(path.join(tree, 'opt/app/bin/tool'), '#!/bin/sh\n');
  appendFileSync(path.join(tree, 'etc/passwd'), 'user:x:1000:1000::/home/user:/bin/sh\n');
  rmSync(path.join(tree, 'usr/share/doc/hello/README'));
  chmodSync(path.join(tree, 'usr/bin/hello'), 0o700);
  symlinkSync('../etc/passwd', path.join(tree, 'etc/link'));
  linkSync(path.join(tree, 'etc/os-release'), path.join(tree, 'etc/passwd-hard'));
  rmSync(path.join(tree, 'bin'));

  const diff = JSON.parse(shale(root, 'diff', tree, '--json')) as { Path: string; Kind: number }[];
  const [C, A, D] = [0, 1, 2];
  assert.deepEqual(diff, [
    { Path: '/bin', Kind: D },
    { Path: '/etc', Kind: C },
    { Path: '/etc/link', Kind: A },
    { Path: '/etc/new.conf', Kind: A },
    { Path: '/etc/os-release', Kind: C }, // linked to /etc/passwd-hard: copied up with it
    { Path: '/etc/passwd', Kind: C },
    { Path: '/etc/passwd-hard', Kind: A },
    { Path: '/opt', Kind: A },
    { Path: '/opt/app', Kind: A },
    { Path: '/opt/app/bin', Kind: A },
    { Path: '/opt/app/bin/tool', Kind: A },
    { Path: '/usr', Kind: C },
    { Path: '/usr/bin', Kind: C },
    { Path: '/usr/bin/hello', Kind: C },
    { Path: '/usr/share', Kind: C },
    { Path: '/usr/share/doc', Kind: C },
    { Path: '/usr/share/doc/hello', Kind: C },
    { Path: '/usr/share/doc/hello/README', Kind: D },
  ]);
  assert.match(shale(root, 'diff', tree), /^D \/bin\nC \/etc\n/);

  const committed = shale(root, 'commit', tree, 'example:changed', '-m', 'edited').trim();
  assert.match(committed, /^sha256:[0-9a-f]{64}$/);
  const [image] = JSON.parse(shale(root, 'inspect', 'example:changed')) as {
    Parent: string;
    RootFS: { Layers: string[] };
  }[];
  assert.equal(image!.Parent, base);
  assert.equal(image!.RootFS.Layers.length, 2);
  assert.deepEqual(
    JSON.parse(shale(root, 'diff', tree, '--json')),
    [],
    'the tree is now a checkout of the new image',
  );

  const out = path.join(dir, 'out');
  shale(root, 'unpack', 'example:changed', out);
  assert.deepEqual(snapshot(out), snapshot(tree));

  // Docker's rule: the base is the parent of the committed image, so naming it by its tag only
  // untags it, and naming it by ID is refused.
  const baseId = shale(root, 'inspect', 'example:base', '--json').match(
    /"Id": "(sha256:[a-f0-9]+)"/,
  )![1]!;
  const rmi = runShale(['--root', root, 'rmi', 'example:base']);
  assert.equal(rmi.status, 0, rmi.stderr);
  assert.equal(rmi.stdout, 'Untagged: example:base\n');
  const byId = runShale(['--root', root, 'rmi', baseId]);
  assert.equal(byId.status, 1);
  assert.match(byId.stderr, /image has dependent child images/);
});

test('diff and commit of a directory that is not a checkout are clear errors', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'shale-worktree-'));
  const r = runShale(['--root', path.join(dir, 'store'), 'diff', dir]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^shale: .* is not a shale checkout/);
});
