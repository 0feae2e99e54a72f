// A store written before references named manifests (format-1 references.json, kept as a fixture
// from commit 8024ffa) opens and lists the same images without a manual step; its first change
// writes format 2, under the lock, and every reference keeps what it reached.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fixture } from '../helpers/fixtures.ts';
import { runShale } from '../helpers/shale.ts';

const FIXTURE = fixture('store-before-references');

function unpackedStore(): string {
  const root = fs.mkdtempSync(path.join(tmpdir(), 'shale-format1-'));
  execFileSync('tar', ['-xf', path.join(FIXTURE, 'store.tar'), '-C', root]);
  return root;
}

function shale(root: string, ...args: string[]): string {
  const r = runShale(['--root', root, ...args]);
  assert.equal(r.status, 0, `shale ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function expected(name: string): unknown {
  return JSON.parse(fs.readFileSync(path.join(FIXTURE, name), 'utf8'));
}

function referencesFile(root: string): { format?: number; references: Record<string, unknown> } {
  return JSON.parse(fs.readFileSync(path.join(root, 'shale', 'references.json'), 'utf8')) as {
    format?: number;
    references: Record<string, unknown>;
  };
}

function listing(root: string): { images: unknown; inspect: unknown } {
  const images = JSON.parse(shale(root, 'images', '--json', '-a')) as { Id: string }[];
  const inspect: unknown = JSON.parse(shale(root, 'inspect', '--json', ...images.map((i) => i.Id)));
  return { images, inspect };
}

test('a format-1 store lists the same images as the build that wrote it, and stays format 1 while only read', () => {
  const root = unpackedStore();
  const before = fs.readFileSync(path.join(root, 'shale', 'references.json'));
  const { images, inspect } = listing(root);
  assert.deepEqual(images, expected('images.json'));
  assert.deepEqual(inspect, expected('inspect.json'));
  assert.equal(referencesFile(root).format, undefined);
  assert.deepEqual(fs.readFileSync(path.join(root, 'shale', 'references.json')), before);
  const fsck = JSON.parse(shale(root, 'fsck', '--json')) as { problems: unknown[] };
  assert.deepEqual(fsck.problems, []);
});

test('the first change writes format 2: each reference names the manifest its image kept, or the one its digest is when stored', () => {
  const root = unpackedStore();
  const old = referencesFile(root).references as Record<string, string>;
  shale(root, 'tag', 'local/base:v1', 'local/base:v2');
  const now = referencesFile(root);
  assert.equal(now.format, 2);
  const targets = now.references as Record<
    string,
    { image: string; descriptor: { digest: string; mediaType: string } }
  >;
  const stored = (digest: string) =>
    fs.existsSync(path.join(root, 'blobs', 'sha256', digest.replace('sha256:', '')));
  const ownManifest = (image: string) =>
    (
      JSON.parse(
        fs.readFileSync(
          path.join(root, 'shale', 'images', 'sha256', `${image.replace('sha256:', '')}.json`),
          'utf8',
        ),
      ) as { manifest: { digest: string } }
    ).manifest.digest;
  for (const [ref, image] of Object.entries(old)) {
    assert.equal(targets[ref]?.image, image, ref);
    const digest = ref.split('@')[1];
    const expected = digest !== undefined && stored(digest) ? digest : ownManifest(image);
    assert.equal(targets[ref].descriptor.digest, expected, ref);
    assert.ok(stored(targets[ref].descriptor.digest), `${ref} names a stored manifest`);
  }
  const { images } = listing(root);
  const listed = images as { Id: string; RepoTags: string[] }[];
  const was = expected('images.json') as { Id: string; RepoTags: string[] }[];
  assert.deepEqual(
    listed.map((i) => i.Id),
    was.map((i) => i.Id),
  );
  const base = listed.find((i) => i.RepoTags.includes('local/base:v1'))!;
  assert.ok(base.RepoTags.includes('local/base:v2'));
  // v2 names what v1 names.
  assert.deepEqual(targets['docker.io/local/base:v2'], targets['docker.io/local/base:v1']);
  const fsck = JSON.parse(shale(root, 'fsck', '--json')) as { problems: unknown[] };
  assert.deepEqual(fsck.problems, []);
});
