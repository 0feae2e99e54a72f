/** The CLI's V8 code cache (src/cli/code-cache.ts): made once, reused, replaced when bad, optional. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { isAscii } from 'node:buffer';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  truncateSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { SHALE_BIN } from '../helpers/shale.ts';

const work = mkdtempSync(path.join(tmpdir(), 'shale-code-cache-'));
const store = path.join(work, 'store');

type Run = { status: number | null; stdout: string; stderr: string };

const images = (cacheHome: string): Run => shale(cacheHome, 'images');

function shale(cacheHome: string, ...args: string[]): Run {
  const r = spawnSync(process.execPath, [SHALE_BIN, '--root', store, ...args], {
    env: { ...process.env, XDG_CACHE_HOME: cacheHome },
    encoding: 'utf8',
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function cacheFiles(cacheHome: string): string[] {
  return readdirSync(path.join(cacheHome, 'shale', 'code-cache')).map((name) =>
    path.join(cacheHome, 'shale', 'code-cache', name),
  );
}

test('the first run stores one cache file, named by Node version and command; the next run uses it as is', () => {
  const home = mkdtempSync(path.join(work, 'home-'));
  const first = images(home);
  assert.equal(first.status, 0, first.stderr);
  const files = cacheFiles(home);
  assert.equal(files.length, 1);
  assert.match(
    path.basename(files[0]!),
    new RegExp(`^node-${process.version}-${process.arch}-[0-9a-f]{32}-images\\.v8$`),
  );
  const made = statSync(files[0]!).mtimeMs;
  const second = images(home);
  assert.deepEqual(second, first);
  assert.deepEqual(cacheFiles(home), files);
  assert.equal(statSync(files[0]!).mtimeMs, made, 'a cache V8 accepted is not written again');
});

test('a damaged cache file is ignored and replaced', () => {
  const home = mkdtempSync(path.join(work, 'home-'));
  const reference = images(home);
  const [file] = cacheFiles(home);
  writeFileSync(file!, Buffer.alloc(4096, 0x5a));
  const run = images(home);
  assert.deepEqual(run, reference);
  assert.notDeepEqual(readFileSync(file!), Buffer.alloc(4096, 0x5a));
  assert.deepEqual(images(home), reference);
});

test('a cache directory that cannot be made costs nothing but the cache', () => {
  const notADir = path.join(work, 'plain-file');
  writeFileSync(notADir, 'x');
  const run = images(notADir);
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stderr, '');
  assert.deepEqual(run, images(mkdtempSync(path.join(work, 'home-'))));
});

test('each command gets its own cache; a failed run stores none', () => {
  const home = mkdtempSync(path.join(work, 'home-'));
  assert.equal(images(home).status, 0);
  const failed = shale(home, 'inspect', 'no-such-image');
  assert.equal(failed.status, 1);
  assert.deepEqual(cacheFiles(home).map(commandOfCache), ['images']);
  const tarsum = shale(home, 'tarsum', '-');
  assert.equal(tarsum.status, 0, tarsum.stderr);
  assert.deepEqual(cacheFiles(home).map(commandOfCache).sort(), ['images', 'tarsum']);
});

const commandOfCache = (file: string) =>
  /[0-9a-f]{32}-([a-z0-9-]+)\.v8$/.exec(path.basename(file))![1];

test('the cache directory keeps what was used this week, within 64 MiB: the oldest files go first', () => {
  const home = mkdtempSync(path.join(work, 'home-'));
  const dir = path.join(home, 'shale', 'code-cache');
  mkdirSync(dir, { recursive: true });
  const day = 24 * 3600;
  const now = Date.now() / 1000;
  const planted = (name: string, mebibytes: number, ageDays: number): string => {
    const file = path.join(dir, name);
    writeFileSync(file, '');
    truncateSync(file, mebibytes << 20); // sparse: only the size counts
    utimesSync(file, now - ageDays * day, now - ageDays * day);
    return file;
  };
  const weekOld = planted('node-old-stale.v8', 1, 8);
  const oldest = planted('node-other-a.v8', 40, 3);
  const older = planted('node-other-b.v8', 30, 2);
  const newer = planted('node-other-c.v8', 2, 1);
  const run = images(home);
  assert.equal(run.status, 0, run.stderr);
  const left = new Set(cacheFiles(home));
  assert.equal(left.has(weekOld), false, 'a file unused for a week is removed');
  assert.equal(left.has(oldest), false, 'the oldest file beyond 64 MiB is removed');
  assert.ok(left.has(older) && left.has(newer), 'newer files within 64 MiB stay');
  assert.ok(
    [...left].some((file) => file.endsWith('-images.v8')),
    'the new cache is written',
  );
});

test('the CLI bundle is ASCII, so it loads as a one-byte string', () => {
  const bundle = readFileSync(path.join(path.dirname(SHALE_BIN), 'shale-program.cjs'));
  assert.ok(isAscii(bundle));
});
