// Legacy docker-archives (Docker 1.6–1.9, spec §5.1): a hand-built archive (GNU tar) loads with its
// legacy IDs kept, a stated checksum that does not match only warns, `inspect` shows LegacyIds and
// finds images by legacy ID; `save --format docker-legacy` → `load` keeps legacy and image IDs;
// bad IDs are refused with the store unchanged; 1.10+ loads record their CreateID IDs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { legacySaveLayers } from '../../src/legacy/index.ts';
import type { Digest } from '../../src/core/digest.ts';
import { storeFiles } from '../helpers/archive-images.ts';
import { runShale } from '../helpers/shale.ts';

const work = fs.mkdtempSync(path.join(tmpdir(), 'shale-legacy-archive-'));
const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const WRONG_TARSUM = `tarsum.v1+sha256:${'0'.repeat(64)}`;

interface Inspected {
  Id: string;
  RepoTags: string[];
  Parent: string;
  RootFS: { Layers: string[] };
  LegacyIds: string[];
}

function shale(root: string, ...args: string[]) {
  const r = runShale(['--root', root, ...args]);
  assert.equal(r.status, 0, r.stderr);
  return r;
}

const inspect = (root: string, ...names: string[]) =>
  JSON.parse(shale(root, 'inspect', ...names).stdout) as Inspected[];

/** A legacy archive as Docker 1.6 wrote it, made with GNU tar; `images` base first. */
function legacyArchive(
  name: string,
  images: { id: string; json: Record<string, unknown>; file: string }[],
  repositories?: unknown,
): string {
  const dir = path.join(work, `${name}-tree`);
  for (const image of images) {
    const layerDir = path.join(work, `${name}-${image.id}-layer`);
    fs.mkdirSync(layerDir, { recursive: true });
    fs.writeFileSync(path.join(layerDir, image.file), `${image.file} content\n`);
    fs.mkdirSync(path.join(dir, image.id), { recursive: true });
    execFileSync('tar', ['-C', layerDir, '-cf', path.join(dir, image.id, 'layer.tar'), '.']);
    fs.writeFileSync(path.join(dir, image.id, 'VERSION'), '1.0');
    fs.writeFileSync(path.join(dir, image.id, 'json'), JSON.stringify(image.json));
  }
  if (repositories) fs.writeFileSync(path.join(dir, 'repositories'), JSON.stringify(repositories));
  const file = path.join(work, `${name}.tar`);
  execFileSync('tar', ['-C', dir, '-cf', file, '--sort=name', '.']);
  return file;
}

const v1 = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  created: '2015-03-01T10:00:00.123456789Z',
  container_config: { Cmd: ['/bin/sh', '-c', `#(nop) ADD ${id.slice(0, 4)}`] },
  docker_version: '1.6.2',
  architecture: 'amd64',
  os: 'linux',
  ...extra,
});

const handBuilt = legacyArchive(
  'hand',
  [
    { id: A, json: v1(A, { checksum: WRONG_TARSUM }), file: 'base.txt' },
    { id: B, json: v1(B, { parent: A }), file: 'child.txt' },
  ],
  { 'test/legacy': { v1: B } },
);
const handRoot = path.join(work, 'hand-store');

test('a hand-built legacy archive loads with its IDs; a wrong stated checksum only warns', () => {
  const r = runShale(['--root', handRoot, 'load', '-i', handBuilt]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim().split('\n').length, 2);
  assert.match(
    r.stderr,
    new RegExp(
      `^shale: warning: legacy image ${A}: its JSON states checksum ${WRONG_TARSUM.replace('+', '\\+')}`,
    ),
  );
  const [child] = inspect(handRoot, 'test/legacy:v1');
  assert.deepEqual(child!.LegacyIds, [B, A]);
  assert.equal(child!.RootFS.Layers.length, 2);
  const [base] = inspect(handRoot, A);
  assert.equal(child!.Parent, base!.Id);
  assert.deepEqual(base!.LegacyIds, [A]);
  assert.equal(inspect(handRoot, 'bbbbbbbbbbbb')[0]!.Id, child!.Id, 'a legacy-ID prefix');
  const checksum = fs.readFileSync(
    path.join(handRoot, 'shale', 'legacy', 'ids', A, 'checksum'),
    'utf8',
  );
  assert.match(checksum, /^tarsum\.v1\+sha256:[a-f0-9]{64}$/);
  assert.notEqual(checksum, WRONG_TARSUM);
});

test('save --format docker-legacy → load keeps legacy IDs, JSON bytes and image IDs', () => {
  const out = path.join(work, 'resaved.tar');
  shale(handRoot, 'save', '--format', 'docker-legacy', 'test/legacy:v1', '-o', out);
  const names = execFileSync('tar', ['-tf', out], { encoding: 'utf8' }).trim().split('\n');
  assert.deepEqual(names, [
    ...[A, B].flatMap((id) => [`${id}/`, `${id}/VERSION`, `${id}/json`, `${id}/layer.tar`]),
    'repositories',
  ]);
  assert.equal(
    execFileSync('tar', ['-xOf', out, `${B}/json`], { encoding: 'utf8' }),
    JSON.stringify(v1(B, { parent: A })),
  );
  assert.equal(
    execFileSync('tar', ['-xOf', out, 'repositories'], { encoding: 'utf8' }),
    `{"test/legacy":{"v1":"${B}"}}\n`,
  );
  const again = path.join(work, 'resaved-store');
  shale(again, 'load', '-i', out);
  const [before] = inspect(handRoot, 'test/legacy:v1');
  const [after] = inspect(again, 'test/legacy:v1');
  assert.deepEqual(after, before);
});

test('legacy IDs that are not 64 lowercase hex are refused and the store is unchanged', () => {
  const cases = [
    legacyArchive('bad-parent', [{ id: A, json: v1(A, { parent: 'x'.repeat(64) }), file: 'f' }]),
    legacyArchive('bad-json-id', [{ id: A, json: v1('../../etc'), file: 'f' }]),
    legacyArchive('other-json-id', [{ id: A, json: v1(B), file: 'f' }]),
    legacyArchive('bad-tag', [{ id: A, json: v1(A), file: 'f' }], { x: { latest: 'ABC' } }),
  ];
  const before = storeFiles(handRoot);
  for (const file of cases) {
    const r = runShale(['--root', handRoot, 'load', '-i', file]);
    assert.equal(r.status, 1, `${file} loaded`);
    assert.match(r.stderr, /^shale: .*(64 lowercase hex|not its own directory)/);
    assert.deepEqual(storeFiles(handRoot), before, `${file} changed the store`);
  }
});

test('a docker-archive (1.10+) load records the CreateID legacy IDs of its layers', () => {
  const out = path.join(work, 'modern.tar');
  shale(handRoot, 'save', 'test/legacy:v1', '-o', out);
  const modern = path.join(work, 'modern-store');
  shale(modern, 'load', '-i', out);
  const [image] = inspect(modern, 'test/legacy:v1');
  const config = fs.readFileSync(
    path.join(modern, 'blobs', 'sha256', image!.Id.slice('sha256:'.length)),
  );
  const expected = legacySaveLayers(config, image!.RootFS.Layers as Digest[]).map((l) => l.id);
  assert.deepEqual(image!.LegacyIds, expected.reverse());
  assert.equal(inspect(modern, expected[0]!)[0]!.Id, image!.Id);
});
