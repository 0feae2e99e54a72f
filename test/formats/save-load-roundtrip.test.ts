// save → load into an empty store keeps image IDs, tags and layer DiffIDs, for every format; the
// docker-archive is the Docker 25+ dual layout with each layer once; archives stream through
// stdin/stdout and load in every compression.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildSharedLayout, inspect, loadShared, storeFiles } from '../helpers/archive-images.ts';
import { runShale, SHALE_BIN } from '../helpers/shale.ts';

const work = fs.mkdtempSync(path.join(tmpdir(), 'shale-roundtrip-'));
const source = path.join(work, 'source');
loadShared(buildSharedLayout(work), source);
const REFS = ['peers/edge:edge', 'peers/edge:edge-base'];
const expected = inspect(source, ...REFS).map(({ Id, RepoTags, RootFS }) => ({
  Id,
  RepoTags,
  Layers: RootFS.Layers,
}));

function loadedFacts(root: string, refs = REFS) {
  return inspect(root, ...refs).map(({ Id, RepoTags, RootFS }) => ({
    Id,
    RepoTags,
    Layers: RootFS.Layers,
  }));
}

function saveAndLoad(format: string, output: string): string {
  const save = runShale(['--root', source, 'save', ...REFS, '--format', format, '-o', output]);
  assert.equal(save.status, 0, save.stderr);
  const root = path.join(work, `store-${format}`);
  const load = runShale(['--root', root, 'load', '-i', output, '--json']);
  assert.equal(load.status, 0, load.stderr);
  const reported = JSON.parse(load.stdout) as { Id: string; RepoTags: string[] }[];
  assert.deepEqual(reported.map((r) => r.Id).sort(), expected.map((e) => e.Id).sort());
  // every tag of the load set in one change of the references file (once per tag made big loads quadratic)
  const references = JSON.parse(
    fs.readFileSync(path.join(root, 'shale', 'references.json'), 'utf8'),
  ) as { generation: number; references: Record<string, unknown> };
  assert.equal(Object.keys(references.references).length, REFS.length);
  assert.equal(references.generation, 1);
  return root;
}

for (const [format, output] of [
  ['docker', 'images.docker.tar'],
  ['oci', 'images.oci.tar'],
  ['oci-dir', 'images-oci'],
] as const) {
  test(`save --format ${format} then load keeps IDs, tags and DiffIDs`, () => {
    const root = saveAndLoad(format, path.join(work, output));
    assert.deepEqual(loadedFacts(root), expected);
    const unpacked = runShale([
      '--root',
      root,
      'unpack',
      REFS[0]!,
      path.join(work, `tree-${format}`),
    ]);
    assert.equal(unpacked.status, 0, unpacked.stderr);
  });
}

test('the docker-archive is a dual layout with every layer written once', () => {
  const file = path.join(work, 'images.docker.tar');
  const names = execFileSync('tar', ['-tf', file], { encoding: 'utf8' }).trim().split('\n');
  for (const name of ['manifest.json', 'repositories', 'index.json', 'oci-layout'])
    assert.ok(names.includes(name), `${name} missing`);
  const layers = new Set(expected.flatMap((e) => e.Layers));
  assert.equal(layers.size, 3);
  for (const diffId of layers)
    assert.equal(names.filter((n) => n === `blobs/sha256/${diffId.slice(7)}`).length, 1);
  const legacyLayerTars = names.filter((n) => n.endsWith('/layer.tar'));
  assert.equal(legacyLayerTars.length, 4, 'three v1 dirs for edge, one more for the other top');
  const verbose = execFileSync('tar', ['-tvf', file], { encoding: 'utf8' });
  for (const line of verbose.split('\n').filter((l) => l.includes('/layer.tar')))
    assert.match(line, /^l.* -> \.\.\/blobs\/sha256\/[a-f0-9]{64}$/);
  const manifest = JSON.parse(
    execFileSync('tar', ['-xOf', file, 'manifest.json'], { encoding: 'utf8' }),
  ) as { Config: string; RepoTags: string[]; Layers: string[] }[];
  assert.deepEqual(
    manifest.map((m) => m.RepoTags),
    [['peers/edge:edge'], ['peers/edge:edge-base']],
  );
  assert.deepEqual(
    manifest[0]!.Layers,
    expected[0]!.Layers.map((l) => `blobs/sha256/${l.slice(7)}`),
  );
});

test('save to stdout and load from stdin, whole archive in any compression', () => {
  const tar = execFileSync(
    process.execPath,
    [SHALE_BIN, '--root', source, 'save', REFS[0]!, '-o', '-'],
    {
      maxBuffer: 1 << 28,
    },
  );
  assert.ok(tar.length > 100_000);
  for (const [name, compress] of [
    ['plain', undefined],
    ['gzip', ['gzip', '-c']],
    ['xz', ['xz', '-c', '-T1']],
    ['bzip2', ['bzip2', '-c']],
    ['zstd', ['zstd', '-q', '-c']],
  ] as const) {
    const input = compress
      ? execFileSync(compress[0], compress.slice(1), { input: tar, maxBuffer: 1 << 28 })
      : tar;
    const root = path.join(work, `stdin-${name}`);
    const load = runShale(['--root', root, 'load', '-i', '-'], input);
    assert.equal(load.status, 0, `${name}: ${load.stderr}`);
    assert.equal(load.stdout.trim(), expected[0]!.Id, name);
    assert.deepEqual(loadedFacts(root, REFS.slice(0, 1)), expected.slice(0, 1));
  }
});

test('a load keeps only what its images use (no stray blobs from the archive)', () => {
  const root = path.join(work, 'store-docker');
  const blobs = [...storeFiles(root).keys()].filter((f) => f.startsWith('blobs/'));
  // 2 configs, 3 layer tars, 2 manifests written when the tags were set
  assert.equal(blobs.length, 7, blobs.join('\n'));
  assert.deepEqual(fs.readdirSync(path.join(root, 'shale', 'ingest')), []);
});

test('save of an image ID writes no tags; a missing image is a clear error', () => {
  const out = path.join(work, 'by-id.tar');
  const save = runShale(['--root', source, 'save', expected[1]!.Id.slice(7, 19), '-o', out]);
  assert.equal(save.status, 0, save.stderr);
  const manifest = JSON.parse(
    execFileSync('tar', ['-xOf', out, 'manifest.json'], { encoding: 'utf8' }),
  ) as {
    RepoTags: null;
  }[];
  assert.equal(manifest[0]!.RepoTags, null);
  const missing = runShale([
    '--root',
    source,
    'save',
    'nope:latest',
    '-o',
    path.join(work, 'x.tar'),
  ]);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /^shale: no such image: nope:latest/);
  assert.equal(fs.existsSync(path.join(work, 'x.tar')), false);
});
