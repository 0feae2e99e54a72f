// The per-entry bench cases' stage runner (bench/lib/stage-runner.ts) on a small tar written by
// GNU tar, against the built library (dist/: run npm run build first).
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CASE_NAMES } from '../../bench/cases/index.ts';
import type { StageReport } from '../../bench/lib/stage-runner.ts';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const RUNNER = path.join(repo, 'bench', 'lib', 'stage-runner.ts');
const LIBRARY = path.join(repo, 'dist', 'archive', 'index.js');
const CLI = path.join(repo, 'dist', 'cli', 'shale.js');

let dir: string;
let tars: string[];

before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'shale-stage-runner-'));
  tars = [1, 2].map((k) => {
    const src = path.join(dir, `src${k}`);
    mkdirSync(path.join(src, `d${k}`, 'sub'), { recursive: true });
    for (let i = 0; i < 5; i++) writeFileSync(path.join(src, `d${k}`, 'sub', `f${i}`), `${k}:${i}`);
    const tar = path.join(dir, `layer${k}.tar`);
    execFileSync('tar', ['--format=pax', '-C', src, '-cf', tar, `d${k}`]);
    return tar;
  });
});

after(() => rmSync(dir, { recursive: true, force: true }));

function run(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', RUNNER, '--library', LIBRARY, ...args], {
    cwd: repo,
    encoding: 'utf8',
  });
}

function report(...args: string[]): StageReport {
  const r = run(...args);
  assert.equal(r.status, 0, r.stderr);
  const parsed = JSON.parse(r.stdout) as StageReport;
  assert.ok(parsed.seconds > 0 && parsed.seconds < 60);
  return parsed;
}

const listed = () =>
  tars.flatMap((t) => execFileSync('tar', ['-tf', t], { encoding: 'utf8' }).trim().split('\n'));

test('the three stages are bench cases', () => {
  for (const stage of ['reader', 'tarsum', 'apply'])
    assert.ok(CASE_NAMES.includes(`per-entry-${stage}`), stage);
});

test('reader: every entry GNU tar lists', () => {
  const r = report('--stage', 'reader', ...tars);
  assert.equal(r.stage, 'reader');
  assert.equal(r.entries, listed().length);
});

test('tarsum: the same sum as shale tarsum, one per tar', () => {
  const r = report('--stage', 'tarsum', ...tars);
  const cli = tars.map((t) =>
    execFileSync(process.execPath, [CLI, 'tarsum', t], { encoding: 'utf8' }).trim(),
  );
  assert.deepEqual(r.sums, cli);
});

test('apply: the layers extracted in order into the directory', () => {
  const into = path.join(dir, 'out');
  mkdirSync(into);
  const r = report('--stage', 'apply', '--into', into, ...tars);
  assert.equal(r.entries, listed().length);
  assert.equal(readFileSync(path.join(into, 'd2', 'sub', 'f4'), 'utf8'), '2:4');
  assert.equal(readFileSync(path.join(into, 'd1', 'sub', 'f0'), 'utf8'), '1:0');
});

test('a bad stage is refused with its usage, exit 1', () => {
  const r = run('--stage', 'nope', ...tars);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^stage-runner: usage: /);
});
