// shale load / images / inspect / tag through the built binary, on layouts written by shale's
// demo and by skopeo; a corrupt layout leaves the store exactly as it was.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runDemo } from '../helpers/demo.ts';
import { fileURLToPath } from 'node:url';
import { runShale } from '../helpers/shale.ts';

const repo = fileURLToPath(new URL('../..', import.meta.url));

function demoLayout(): { work: string; layout: string; diffId: string } {
  const work = mkdtempSync(path.join(tmpdir(), 'shale-cli-store-'));
  const out = runDemo(path.join(work, 'demo'));
  return {
    work,
    layout: path.join(work, 'demo', 'oci'),
    diffId: /^(sha256:[0-9a-f]{64})$/m.exec(out)![1]!,
  };
}

function tree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((p) => `${p} ${statSync(path.join(dir, p)).size}`)
    .sort();
}

const json = <T>(r: { status: number | null; stdout: string; stderr: string }): T => {
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as T;
};

interface Summary {
  Id: string;
  RepoTags: string[];
  Size: number;
}

test('load, images, inspect and tag', () => {
  const { work, layout, diffId } = demoLayout();
  const root = path.join(work, 'store');
  const loaded = runShale(['--root', root, 'load', '-i', layout]);
  assert.equal(loaded.status, 0, loaded.stderr);
  const id = loaded.stdout.trim();
  assert.match(id, /^sha256:[0-9a-f]{64}$/);

  const images = json<Summary[]>(runShale(['--root', root, 'images', '--json']));
  assert.deepEqual(
    images.map((i) => [i.Id, i.RepoTags]),
    [[id, ['shale-demo:latest']]],
  );
  assert.ok(images[0]!.Size > 0);

  const [inspected] = json<
    {
      Id: string;
      RootFS: { Type: string; Layers: string[] };
      Architecture: string;
      LegacyIds: string[];
    }[]
  >(runShale(['--root', root, 'inspect', 'shale-demo']));
  assert.equal(inspected!.Id, id);
  assert.deepEqual(inspected!.RootFS, { Type: 'layers', Layers: [diffId] });
  assert.deepEqual(inspected!.LegacyIds, []);
  assert.equal(
    json<{ Id: string }[]>(runShale(['--root', root, 'inspect', id.slice(7, 19)]))[0]!.Id,
    id,
  );

  assert.equal(runShale(['--root', root, 'tag', 'shale-demo', '127.0.0.1:5000/x/y:t']).status, 0);
  const tags = json<Summary[]>(runShale(['--root', root, 'images', '--json']))[0]!.RepoTags;
  assert.deepEqual(tags, ['127.0.0.1:5000/x/y:t', 'shale-demo:latest']);
  const table = runShale(['--root', root, 'images']).stdout;
  assert.match(table, /^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE$/m);
  assert.match(table, new RegExp(`^shale-demo\\s+latest\\s+${id.slice(7, 19)}\\s`, 'm'));

  const missing = runShale(['--root', root, 'inspect', 'shale-demo', 'nope']);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /^shale: no such image: nope/);
  assert.equal(json<unknown[]>({ ...missing, status: 0 }).length, 1);
});

test('a layout written by skopeo loads; bare-word names need --name', () => {
  const { work, layout } = demoLayout();
  execFileSync('skopeo', [
    'copy',
    '-q',
    `oci:${layout}:docker.io/library/shale-demo:latest`,
    `oci:${work}/sk:small`,
  ]);
  const root = path.join(work, 'store');
  const plain = runShale(['--root', root, 'load', '-i', `${work}/sk`, '--json']);
  const [untagged] = json<{ Id: string; RepoTags: string[] }[]>(plain);
  assert.deepEqual(untagged!.RepoTags, []);
  const named = json<{ Id: string; RepoTags: string[] }[]>(
    runShale(['--root', root, 'load', '-i', `${work}/sk`, '--name', 'example/small', '--json']),
  );
  assert.deepEqual(named, [{ Id: untagged!.Id, RepoTags: ['example/small:small'] }]);
});

test('a layout with a corrupt blob fails with shale: …, exit 1, and the store is unchanged', () => {
  const { work, layout } = demoLayout();
  const root = path.join(work, 'store');
  assert.equal(runShale(['--root', root, 'images']).status, 0);
  const before = tree(root);
  const blobsDir = path.join(layout, 'blobs', 'sha256');
  const biggest = readdirSync(blobsDir).sort(
    (a, b) => statSync(path.join(blobsDir, b)).size - statSync(path.join(blobsDir, a)).size,
  )[0]!;
  chmodSync(path.join(blobsDir, biggest), 0o644);
  appendFileSync(path.join(blobsDir, biggest), 'x');
  const r = runShale(['--root', root, 'load', '-i', layout]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^shale: .*(larger than the expected|expected)/);
  assert.deepEqual(tree(root), before);
});

test('a --root that is a non-empty non-store directory is refused', () => {
  const r = runShale(['--root', repo, 'images']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^shale: .* is not empty and is not a shale store/);
});

test("--version (first) prints the version in package.json; after a command it is the command's", () => {
  const { version } = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')) as {
    version: string;
  };
  const run = runShale(['--version']);
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout, `${version}\n`);
  assert.equal(run.stderr, '');
  assert.match(runShale(['--help']).stdout, /'shale --version' prints the version/);
  const empty = path.join(mkdtempSync(path.join(tmpdir(), 'shale-version-')), 'empty.tar');
  appendFileSync(empty, Buffer.alloc(1024));
  const tarsum = runShale(['tarsum', '--version', 'v0', empty]);
  assert.equal(tarsum.status, 0, tarsum.stderr);
  assert.match(tarsum.stdout, /^tarsum\+sha256:[0-9a-f]{64}\n$/);
});
