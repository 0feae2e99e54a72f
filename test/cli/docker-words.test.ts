// Docker's words and flags on the store commands (issue 14): rmi's Untagged/Deleted lines with
// the layers that went, one error line per failed argument, load's "Loaded image" lines on stderr
// and -q, prune -a -f --filter until=…, a 13-layer save with nothing on stderr, and --help of an
// unknown command. The same outputs are compared with a real dockerd in docker-words-peer.test.ts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildLayeredImage } from '../helpers/layered-image.ts';
import { runShale, SHALE_BIN } from '../helpers/shale.ts';

let work: string;
let archive: string;
let untaggedArchive: string;
let id: string;
/** The image's ChainIDs, top layer first (the order Docker lists removed layers in). */
let chainTopFirst: string[];

before(() => {
  work = fs.mkdtempSync(path.join(tmpdir(), 'shale-words-'));
  const root = path.join(work, 'build');
  // 13 layers of 1.5 MiB: more than the tar writer's buffer per layer, as the warning needed.
  id = buildLayeredImage(root, path.join(work, 'trees'), 'words/many:13', 13, 1.5 * 2 ** 20);
  archive = path.join(work, 'many.tar');
  const saved = runShale(['--root', root, 'save', 'words/many:13', '-o', archive]);
  assert.equal(saved.status, 0, saved.stderr);
  assert.equal(saved.stderr, '', 'a 13-layer save prints nothing on stderr (no Node warnings)');
  untaggedArchive = path.join(work, 'untagged.tar');
  assert.equal(runShale(['--root', root, 'save', id, '-o', untaggedArchive]).status, 0);
  chainTopFirst = chainIds(root).reverse();
});

after(() => fs.rmSync(work, { recursive: true, force: true }));

function freshRoot(): string {
  return fs.mkdtempSync(path.join(work, 'root-'));
}

function shale(root: string, ...args: string[]) {
  return runShale(['--root', root, ...args]);
}

/** ChainIDs, base first: chain(n) = sha256(chain(n-1) + " " + diffId(n)). */
function chainIds(root: string): string[] {
  const [facts] = JSON.parse(runShale(['--root', root, 'inspect', id, '--json']).stdout) as {
    RootFS: { Layers: string[] };
  }[];
  const chains: string[] = [];
  for (const diffId of facts!.RootFS.Layers) {
    const previous = chains.at(-1);
    const next = `${previous} ${diffId}`;
    chains.push(
      previous === undefined ? diffId : `sha256:${createHash('sha256').update(next).digest('hex')}`,
    );
  }
  return chains;
}

test('save of a 13-layer image to a pipe: nothing on stderr', () => {
  const root = freshRoot();
  assert.equal(shale(root, 'load', '-q', '-i', archive).status, 0);
  const r = spawnSync(process.execPath, [SHALE_BIN, '--root', root, 'save', 'words/many:13'], {
    maxBuffer: 1 << 26,
  });
  assert.equal(r.status, 0, r.stderr.toString());
  assert.equal(r.stderr.toString(), '');
  assert.ok(r.stdout.length > 13 * 1.5 * 2 ** 20);
});

test('load: IDs on stdout, "Loaded image: REF" on stderr; -q leaves stderr empty', () => {
  const root = freshRoot();
  const loaded = shale(root, 'load', '-i', archive);
  assert.equal(loaded.status, 0, loaded.stderr);
  assert.equal(loaded.stdout, `${id}\n`);
  assert.equal(loaded.stderr, 'Loaded image: words/many:13\n');
  const quiet = shale(freshRoot(), 'load', '-q', '-i', archive);
  assert.equal(quiet.stdout, `${id}\n`);
  assert.equal(quiet.stderr, '');
});

test('load of an untagged image says "Loaded image ID:"', () => {
  const r = shale(freshRoot(), 'load', '-i', untaggedArchive);
  assert.equal(r.stderr, `Loaded image ID: ${id}\n`);
});

test('rmi: Untagged, then Deleted for the image and each layer, top first', () => {
  const root = freshRoot();
  shale(root, 'load', '-q', '-i', archive);
  const r = shale(root, 'rmi', 'words/many:13');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(
    r.stdout,
    [
      'Untagged: words/many:13',
      `Deleted: ${id}`,
      ...chainTopFirst.map((l) => `Deleted: ${l}`),
      '',
    ].join('\n'),
  );
  assert.equal(shale(root, 'images', '--json').stdout.trim(), '[]');
});

test('rmi of one of two tags only untags; by ID with two tags needs -f, then untags both', () => {
  const root = freshRoot();
  shale(root, 'load', '-q', '-i', archive);
  assert.equal(shale(root, 'tag', 'words/many:13', 'other/name:1').status, 0);
  const one = shale(root, 'rmi', 'other/name:1');
  assert.equal(one.stdout, 'Untagged: other/name:1\n');
  assert.equal(shale(root, 'tag', 'words/many:13', 'other/name:1').status, 0);
  const refused = shale(root, 'rmi', id.slice(7, 19));
  assert.equal(refused.status, 1);
  assert.equal(
    refused.stderr,
    `shale: conflict: unable to delete ${id.slice(7, 19)} (must be forced) - image is referenced in multiple repositories\n`,
  );
  const forced = shale(root, 'rmi', '-f', id.slice(7, 19));
  assert.equal(forced.status, 0, forced.stderr);
  assert.deepEqual(forced.stdout.split('\n').slice(0, 3), [
    'Untagged: other/name:1',
    'Untagged: words/many:13',
    `Deleted: ${id}`,
  ]);
});

test('rmi of a missing image: one line naming it once, exit 1; the others are still removed', () => {
  const root = freshRoot();
  shale(root, 'load', '-q', '-i', archive);
  const r = shale(root, 'rmi', 'nosuch', 'words/many:13');
  assert.equal(r.status, 1);
  assert.equal(r.stderr, 'shale: no such image: nosuch\n');
  assert.match(r.stdout, /^Untagged: words\/many:13\n/);
});

test("prune -a -f --filter until=…: Docker's report; a future-only filter keeps the image", () => {
  const root = freshRoot();
  shale(root, 'load', '-q', '-i', untaggedArchive); // dangling
  const created = Date.parse(
    (JSON.parse(shale(root, 'inspect', id, '--json').stdout) as { Created: string }[])[0]!.Created,
  );
  const before = shale(
    root,
    'prune',
    '-a',
    '-f',
    '--filter',
    `until=${Math.floor(created / 1000) - 60}`,
  );
  assert.equal(before.status, 0, before.stderr);
  assert.equal(before.stdout, 'Total reclaimed space: 0B\n');
  const until = `until=${Math.floor(created / 1000) + 1}`;
  const dry = shale(root, 'prune', '--all', '--dry-run', '--filter', until);
  assert.match(dry.stdout, /^Would delete Images:\ndeleted: sha256:/);
  const real = shale(root, 'prune', '-a', '-f', '--filter', until);
  assert.equal(real.status, 0, real.stderr);
  const lines = real.stdout.split('\n');
  assert.deepEqual(lines.slice(0, 2), ['Deleted Images:', `deleted: ${id}`]);
  assert.deepEqual(
    lines.slice(2, 2 + 13),
    chainTopFirst.map((l) => `deleted: ${l}`),
  );
  assert.equal(lines[15], '');
  assert.match(lines[16]!, /^Total reclaimed space: [\d.]+MB$/);
  const bad = shale(root, 'prune', '--filter', 'label=x');
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /^shale: invalid filter 'label'/);
});

test('COMMAND --help: help for a command, a usage error for an unknown one', () => {
  const help = runShale(['tag', '--help']);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /^Usage: shale tag/);
  const unknown = runShale(['nosuch', '--help']);
  assert.equal(unknown.status, 2);
  assert.equal(unknown.stdout, '');
  assert.match(unknown.stderr, /^shale: unknown command 'nosuch'/);
});
