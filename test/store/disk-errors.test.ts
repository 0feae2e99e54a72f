// Full, read-only and foreign-owned stores, and short writes, on real file systems: a small tmpfs
// as the store root filled mid-pull, mid-load and mid-import (then grown, and the retry must work
// with `shale fsck` clean); a read-only remount; a root-owned store used as `nobody` (setpriv);
// a store such users can still list (cache writes skipped); and a preload that makes one write
// really short. Each failure is one clear `shale: …` line, exit 1, and the store stays
// consistent. Mounting needs root: not being root fails loudly.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ensureFixture, type Fixture } from '../../support/fixtures/image.ts';
import { DEFAULTS } from '../../support/fixtures/presets.ts';
import { publish } from '../helpers/publish.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { runShaleAsync, SHALE_BIN, type ShaleRun } from '../helpers/shale.ts';

const PRELOAD = new URL('../helpers/short-write-preload.mjs', import.meta.url).pathname;

let registry: TestRegistry;
let fixture: Fixture;
let work: string;
let archive: string;
let home: string;
const mounts: string[] = [];

before(async () => {
  assert.equal(process.getuid?.(), 0, 'these tests mount tmpfs and switch users: run them as root');
  work = fs.mkdtempSync(path.join(tmpdir(), 'shale-disk-errors-'));
  fs.chmodSync(work, 0o755); // `nobody` must reach the stores and the archive
  // Two layers of incompressible content: two blobs of about 8 MiB each.
  fixture = await ensureFixture({
    dir: path.join(work, 'image'),
    name: 'disk',
    params: { ...DEFAULTS, layers: 2, files: 8, bytes: 16 << 20, randomFraction: 1 },
    log: () => undefined,
  });
  registry = await startRegistry();
  const layout = path.join(fixture.dir, 'oci');
  await publish(layout, 'disk', `${registry.host}/disk/big:v1`, 'oci');
  await publish(layout, 'disk', `${registry.host}/disk/other:v1`, 'v2s2');
  archive = path.join(work, 'big.tar');
  execFileSync('skopeo', [
    'copy',
    '-q',
    `oci:${layout}:disk`,
    `docker-archive:${archive}:t/big:v1`,
  ]);
  home = path.join(work, 'home');
  fs.mkdirSync(home, { mode: 0o777 });
  fs.chmodSync(home, 0o777);
});

after(async () => {
  for (const dir of mounts.reverse()) execFileSync('umount', [dir]);
  await registry?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

/** A fresh tmpfs of `size` (e.g. `12m`); the store root goes in it. */
function tmpfs(name: string, size: string): { mount: string; root: string } {
  const mount = path.join(work, name);
  fs.mkdirSync(mount);
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', mount]);
  mounts.push(mount);
  return { mount, root: path.join(mount, 'store') };
}

function remount(mount: string, options: string): void {
  execFileSync('mount', ['-o', `remount,${options}`, mount]);
}

function shale(root: string, ...args: string[]): Promise<ShaleRun> {
  return runShaleAsync(['--root', root, ...args]);
}

/** A failure told as exactly one `shale: …` line matching `words`: no stack, no internal error. */
function assertClearFailure(run: ShaleRun, words: RegExp, what: string): void {
  assert.equal(run.status, 1, `${what}: exit ${run.status}\n${run.stderr}`);
  const lines = run.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `${what}: one line expected:\n${run.stderr}`);
  assert.match(lines[0]!, /^shale: /, what);
  assert.doesNotMatch(run.stderr, /internal error|\n\s+at /, `${what}: ${run.stderr}`);
  assert.match(lines[0]!, words, `${what}: ${lines[0]}`);
}

async function assertSucceeds(root: string, ...args: string[]): Promise<void> {
  const run = await shale(root, ...args);
  assert.equal(run.status, 0, `shale ${args.join(' ')}: ${run.stderr}`);
}

/** `shale fsck` finds nothing wrong. */
async function assertClean(root: string): Promise<void> {
  const run = await shale(root, 'fsck');
  assert.equal(run.status, 0, `fsck:\n${run.stdout}${run.stderr}`);
}

/** Every file under `dir`, recursively (absolute paths). */
function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name));
}

/** Names and sizes of everything in the store, to show a failed command changed nothing. */
function storeListing(root: string): string[] {
  return filesUnder(root)
    .map((file) => `${path.relative(root, file)} ${fs.statSync(file).size}`)
    .sort();
}

/** The bytes of the fixture's blob `digest` (what the registry serves). */
function fixtureBlob(digest: string): Buffer {
  const hex = digest.slice('sha256:'.length);
  return fs.readFileSync(path.join(fixture.dir, 'oci', 'blobs', 'sha256', hex));
}

/** Temp files of blob ingests (`blob.<writer>.<nonce>.tmp`) anywhere in the ingest area. */
function ingestTemps(root: string): string[] {
  const ingest = path.join(root, 'shale', 'ingest');
  return filesUnder(ingest).filter((file) => /^blob\..+\.tmp$/.test(path.basename(file)));
}

const NO_SPACE = (root: string, needed: boolean) =>
  new RegExp(
    `^shale: no space left on device writing .+ in ${root}${needed ? ': needed \\d+ more bytes' : ''}`,
  );

test('a pull that fills the disk says how much it needed; the retry after freeing space succeeds', async () => {
  const { mount, root } = tmpfs('pull-full', '12m');
  const ref = `${registry.host}/disk/big:v1`;
  const full = await shale(root, 'pull', '-q', ref);
  assertClearFailure(full, NO_SPACE(root, true), 'pull on a full disk');
  // What the failed pull left for the next one to resume is a correct prefix of each blob.
  const ingest = path.join(root, 'shale', 'ingest');
  const partials = fs
    .readdirSync(ingest)
    .filter((name) => /^partial-sha256-[0-9a-f]{64}$/.test(name));
  assert.ok(partials.length > 0, 'the pull left no partial download to resume');
  for (const name of partials) {
    const kept = fs.readFileSync(path.join(ingest, name));
    const blob = fixtureBlob(name.replace(/^partial-sha256-/, 'sha256:'));
    assert.ok(kept.equals(blob.subarray(0, kept.length)), `${name} is not a prefix of its blob`);
  }
  remount(mount, 'size=48m');
  await assertSucceeds(root, 'pull', '-q', ref);
  await assertClean(root);
});

test('a load that fills the disk fails clearly, leaves no temp file, and loads once space is freed', async () => {
  const { mount, root } = tmpfs('load-full', '12m');
  const full = await shale(root, 'load', '-q', '-i', archive);
  assertClearFailure(full, NO_SPACE(root, false), 'load on a full disk');
  assert.deepEqual(ingestTemps(root), []);
  remount(mount, 'size=64m');
  await assertSucceeds(root, 'load', '-q', '-i', archive);
  await assertClean(root);
});

test('an import that fills the disk fails clearly, leaves no temp file, and imports once space is freed', async () => {
  const { mount, root } = tmpfs('import-full', '4m');
  const tar = fixture.abs(fixture.layers[0]!.tar);
  const full = await shale(root, 'import', tar, 'disk/imported:v1');
  assertClearFailure(full, NO_SPACE(root, false), 'import on a full disk');
  assert.deepEqual(ingestTemps(root), []);
  remount(mount, 'size=48m');
  await assertSucceeds(root, 'import', tar, 'disk/imported:v1');
  await assertClean(root);
});

test('a commit that fills the disk fails clearly, leaves no temp file, and commits once space is freed', async () => {
  const { mount, root } = tmpfs('commit-full', '6m');
  const small = path.join(work, 'small-rootfs');
  fs.mkdirSync(small, { recursive: true });
  fs.writeFileSync(path.join(small, 'hello'), 'hello\n');
  await assertSucceeds(root, 'import', small, 'disk/base:v1');
  const tree = path.join(work, 'commit-tree');
  await assertSucceeds(root, 'checkout', 'disk/base:v1', tree);
  fs.writeFileSync(path.join(tree, 'big'), randomBytes(10 << 20));
  const full = await shale(root, 'commit', tree, 'disk/committed:v1');
  assertClearFailure(full, NO_SPACE(root, false), 'commit on a full disk');
  assert.deepEqual(ingestTemps(root), []);
  remount(mount, 'size=48m');
  await assertSucceeds(root, 'commit', tree, 'disk/committed:v1');
  await assertClean(root);
});

test('a read-only store: pull, load, tag and rmi say so, and the store stays sound', async () => {
  const { mount, root } = tmpfs('read-only', '48m');
  const ref = `${registry.host}/disk/big:v1`;
  await assertSucceeds(root, 'pull', '-q', ref);
  remount(mount, 'ro');
  const readOnly = new RegExp(`^shale: the store ${root} is (on a )?read-only`);
  const attempts: string[][] = [
    ['pull', '-q', `${registry.host}/disk/other:v1`],
    ['load', '-q', '-i', archive],
    ['tag', ref, 'disk/renamed:v2'],
    ['rmi', ref],
  ];
  for (const args of attempts) {
    assertClearFailure(await shale(root, ...args), readOnly, `${args[0]} on a read-only store`);
  }
  remount(mount, 'rw');
  await assertClean(root);
});

test('a store owned by root, used as nobody: permission denied, naming the owner', async () => {
  const root = path.join(work, 'owned-by-root');
  const ref = `${registry.host}/disk/big:v1`;
  await assertSucceeds(root, 'pull', '-q', ref);
  const before = storeListing(root);
  const denied = /^shale: permission denied on \S+.*(the store belongs to uid 0|owner)/;
  const attempts: string[][] = [
    ['pull', '-q', `${registry.host}/disk/other:v1`],
    ['load', '-q', '-i', archive],
    ['tag', ref, 'disk/renamed:v2'],
    ['rmi', ref],
  ];
  for (const args of attempts) {
    assertClearFailure(await asNobody(root, ...args), denied, `${args[0]} as nobody`);
  }
  assert.deepEqual(storeListing(root), before, 'a refused command changed the store');
  await assertClean(root);
});

test('a store nobody may write still lists: images, inspect and history as nobody and on a read-only mount', async () => {
  const { mount, root } = tmpfs('read-by-others', '48m');
  const ref = `${registry.host}/disk/big:v1`;
  // A pull leaves sizes to be counted and DiffIDs to be checked by the first read: cache writes.
  await assertSucceeds(root, 'pull', '-q', ref);
  const before = storeListing(root);
  const listed = async (run: Promise<ShaleRun>, what: string): Promise<string> => {
    const done = await run;
    assert.equal(done.status, 0, `${what}: ${done.stderr}`);
    assert.equal(done.stderr, '', what);
    return done.stdout;
  };
  const asOther = await listed(asNobody(root, 'images', '--no-trunc'), 'images as nobody');
  assert.match(asOther, new RegExp(`^${registry.host}/disk/big +v1 +sha256:`, 'm'));
  await listed(asNobody(root, 'inspect', ref), 'inspect as nobody');
  const history = await listed(asNobody(root, 'history', ref), 'history as nobody');
  assert.deepEqual(storeListing(root), before, 'a reader that may not write changed the store');
  remount(mount, 'ro');
  const readOnly = await listed(shale(root, 'images', '--no-trunc'), 'images on a read-only store');
  assert.equal(await listed(shale(root, 'history', ref), 'history read-only'), history);
  remount(mount, 'rw');
  // What the owner lists, writing the counted sizes down, is what the others were shown.
  const owner = await listed(shale(root, 'images', '--no-trunc'), 'images as the owner');
  assert.equal(asOther, owner);
  assert.equal(readOnly, owner);
  assert.notDeepEqual(storeListing(root), before, 'the owner wrote no cache records');
  await assertClean(root);
});

/** `shale --root ROOT ARGS` run as the user nobody (setpriv), with a home of its own. */
function asNobody(root: string, ...args: string[]): Promise<ShaleRun> {
  const command = ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath];
  return new Promise((resolve, reject) => {
    const child = spawn('setpriv', [...command, SHALE_BIN, '--root', root, ...args], {
      env: { ...process.env, HOME: home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (status) =>
      resolve({
        status,
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
      }),
    );
  });
}

/** Run shale with the short-write preload; resolves to the run and the injections it made. */
async function withShortWrite(
  root: string,
  minBytes: number,
  ...args: string[]
): Promise<{ run: ShaleRun; injected: string[] }> {
  const log = path.join(work, `short-write-${path.basename(root)}.log`);
  const run = await runShaleAsync(['--root', root, ...args], {
    env: {
      NODE_OPTIONS: `--import ${PRELOAD}`,
      SHALE_TEST_SHORT_WRITE_MIN: String(minBytes),
      SHALE_TEST_SHORT_WRITE_LOG: log,
    },
  });
  const injected = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n') : [];
  return { run, injected };
}

test('a short write during a pull still stores only blobs that hash to their names', async () => {
  const root = path.join(work, 'short-pull');
  const { run, injected } = await withShortWrite(
    root,
    256 << 10, // a batch of a layer blob
    'pull',
    '-q',
    `${registry.host}/disk/big:v1`,
  );
  assert.equal(injected.length, 1, `the preload made no write short: ${run.stderr}`);
  assert.equal(run.status, 0, run.stderr);
  await assertClean(root);
});

test('a short write during a load still stores only blobs that hash to their names', async () => {
  const root = path.join(work, 'short-load');
  const { run, injected } = await withShortWrite(root, 16 << 10, 'load', '-q', '-i', archive);
  assert.equal(injected.length, 1, `the preload made no write short: ${run.stderr}`);
  assert.equal(run.status, 0, run.stderr);
  await assertClean(root);
});
