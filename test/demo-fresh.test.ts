// README's first command, the way a new user runs it: `npm ci && npm run demo` in a clean copy of
// the repository (its tracked files only: no node_modules, no dist, no test run before it). It
// installs what it needs by itself and ends with the pulled-back image; and where it cannot
// install the registry (not root, the package absent), it says in one line what to run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  cpSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));
const NOBODY = { uid: 65534, gid: 65534 };

function run(command: string, args: string[], options: SpawnSyncOptions) {
  const r = spawnSync(command, args, { encoding: 'utf8', timeout: 600_000, ...options });
  return { status: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/**
 * The repository's files as a clone would have them: tracked files, and new ones not ignored (so
 * a work tree with uncommitted files copies as its next commit would clone).
 */
function cleanCopy(into: string): void {
  const listed = run(
    'git',
    ['-C', repo, 'ls-files', '-z', '--cached', '--others', '--exclude-standard'],
    {},
  );
  assert.equal(listed.status, 0, listed.stderr);
  for (const file of listed.stdout.split('\0').filter(Boolean)) {
    mkdirSync(path.dirname(path.join(into, file)), { recursive: true });
    const from = path.join(repo, file);
    if (lstatSync(from, { throwIfNoEntry: false }))
      cpSync(from, path.join(into, file), { verbatimSymlinks: true });
  }
}

/** A PATH holding every command of this machine but `hidden`. */
function pathWithout(hidden: string[], dir: string): string {
  mkdirSync(dir);
  for (const bin of ['/usr/local/bin', '/usr/bin', '/usr/sbin']) {
    for (const name of readdirSync(bin)) {
      if (hidden.includes(name)) continue;
      try {
        symlinkSync(path.join(bin, name), path.join(dir, name));
      } catch {
        // the same name in an earlier directory wins, as on PATH
      }
    }
  }
  return dir;
}

test('npm ci && npm run demo works in a clean copy, and says what to run when it cannot install', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'shale-demo-fresh-'));
  chmodSync(work, 0o755);
  try {
    const clone = path.join(work, 'clone');
    cleanCopy(clone);
    const env = { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false' };
    const ci = run('npm', ['ci', '--prefer-offline'], { cwd: clone, env });
    assert.equal(ci.status, 0, ci.stdout + ci.stderr);

    const demo = run('npm', ['run', 'demo'], { cwd: clone, env });
    assert.equal(demo.status, 0, demo.stdout + demo.stderr);
    assert.match(demo.stdout, /^pulled back the same image: true$/m);

    // The same clone as a user who cannot install packages, on a machine without docker-registry.
    const home = path.join(work, 'home');
    mkdirSync(home);
    for (const dir of [clone, home]) run('chown', ['-R', `${NOBODY.uid}:${NOBODY.gid}`, dir], {});
    chownSync(work, NOBODY.uid, NOBODY.gid);
    const refused = run('npm', ['run', 'demo'], {
      cwd: clone,
      uid: NOBODY.uid,
      gid: NOBODY.gid,
      env: {
        ...env,
        HOME: home,
        npm_config_cache: path.join(home, '.npm'),
        PATH: pathWithout(['docker-registry'], path.join(work, 'bin')),
      },
    });
    assert.equal(refused.status, 1, refused.stdout + refused.stderr);
    const ours = refused.stderr.split('\n').filter((line) => line.startsWith('shale demo: '));
    assert.deepEqual(ours, [
      'shale demo: missing Debian packages docker-registry; as root run: apt-get update && apt-get install -y docker-registry',
    ]);
    assert.doesNotMatch(refused.stderr, /^\s+at /m, 'no stack trace');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
