// The bad-path matrix: every verb that takes a path, given each kind of wrong path (missing,
// unreadable, a directory where a file belongs and the reverse, under a file, a FIFO, /dev/zero,
// an empty file, random bytes). A refusal is exit 1, one `shale:` line naming the path, no stack,
// no `internal error`, and the store as it was; the few cells where the path is in fact usable
// (an empty directory to unpack into, a regular file to save over, …) must succeed instead.
// Unreadable cases run the CLI as nobody (root ignores permissions) against a store nobody owns.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { randomBytes } from 'node:crypto';
import { storeState } from '../helpers/hostile-pull.ts';
import { SHALE_BIN, type ShaleRun } from '../helpers/shale.ts';

const NOBODY = ['--reuid=65534', '--regid=65534', '--clear-groups'];
const CASES = [
  'missing',
  'unreadable',
  'directory',
  'file',
  'under-a-file',
  'fifo',
  'dev-zero',
  'empty',
  'random',
] as const;
type Case = (typeof CASES)[number];

/** What the verb expects at its path: the cases' paths differ for each. */
type Role = 'input' | 'input-dir' | 'output-file' | 'output-dir' | 'root' | 'stdin';

interface Verb {
  name: string;
  role: Role;
  args: (p: string) => string[];
  /** Cases where the path is usable and the command must succeed. */
  usable?: Case[];
  /** Cases that do not exist for this verb (stdin is opened by the shell, not by shale). */
  absent?: Case[];
}

const VERBS: Verb[] = [
  { name: 'load -i', role: 'input', args: (p) => ['load', '-i', p] },
  { name: 'import', role: 'input', args: (p) => ['import', p] },
  // The TarSum of no entries; the DiffID of bytes as given (a layer need not be compressed).
  { name: 'tarsum', role: 'input', args: (p) => ['tarsum', p], usable: ['empty'] },
  {
    name: 'diffid',
    role: 'input',
    args: (p) => ['diffid', p],
    usable: ['file', 'empty', 'random'],
  },
  {
    name: 'save -o',
    role: 'output-file',
    args: (p) => ['save', 'img:1', '-o', p],
    usable: ['file', 'empty', 'random'], // an existing regular file is replaced, as docker save
  },
  {
    name: 'save --format oci-dir -o',
    role: 'output-dir',
    args: (p) => ['save', 'img:1', '--format', 'oci-dir', '-o', p],
    usable: ['missing', 'directory'],
  },
  {
    name: 'unpack',
    role: 'output-dir',
    args: (p) => ['unpack', 'img:1', p],
    usable: ['missing', 'directory'],
  },
  {
    name: 'checkout',
    role: 'output-dir',
    args: (p) => ['checkout', 'img:1', p],
    usable: ['missing', 'directory'],
  },
  { name: 'diff', role: 'input-dir', args: (p) => ['diff', p] },
  { name: 'commit', role: 'input-dir', args: (p) => ['commit', p] },
  { name: 'migrate', role: 'input-dir', args: (p) => ['migrate', p] },
  { name: '--root', role: 'root', args: () => ['images'], usable: ['missing', 'directory'] },
  {
    name: 'login --password-stdin',
    role: 'stdin',
    args: () => ['login', '-u', 'u', '--password-stdin', '127.0.0.1:1'],
    absent: ['missing', 'unreadable', 'under-a-file'],
  },
];

let work: string;
let store: string;
let lockedStore: string;

function sh(command: string, args: string[]): void {
  const r = spawnSync(command, args, { encoding: 'utf8' });
  assert.equal(r.status, 0, `${command} ${args.join(' ')}: ${r.stderr}`);
}

before(() => {
  work = fs.mkdtempSync(path.join(tmpdir(), 'shale-bad-paths-'));
  fs.chmodSync(work, 0o755); // nobody may walk in; what lies inside decides the rest
  const rootfs = path.join(work, 'rootfs');
  fs.mkdirSync(rootfs);
  fs.writeFileSync(path.join(rootfs, 'hello'), 'hello\n');
  store = path.join(work, 'store');
  sh(process.execPath, [SHALE_BIN, '--root', store, 'import', rootfs, 'img:1']);
  lockedStore = path.join(work, 'locked-store');
  sh('cp', ['-a', store, lockedStore]);
  fs.chmodSync(lockedStore, 0o700); // root's: nobody cannot read it
  sh('chown', ['-R', '65534:65534', store]);
});

after(() => fs.rmSync(work, { recursive: true, force: true }));

/** A fresh directory of every kind of wrong path; returns the path for `kase` and `role`. */
function makeCase(dir: string, kase: Case, role: Role): string {
  fs.mkdirSync(dir, { mode: 0o755 });
  const at = (name: string) => path.join(dir, name);
  fs.writeFileSync(at('file'), 'not a directory\n');
  fs.mkdirSync(at('dir'));
  fs.writeFileSync(at('empty'), '');
  fs.writeFileSync(at('random'), randomBytes(4096));
  fs.writeFileSync(at('secret'), randomBytes(4096), { mode: 0o600 });
  fs.mkdirSync(at('secret-dir'), { mode: 0o700 });
  sh('mkfifo', [at('fifo')]);
  fs.symlinkSync('/dev/zero', at('zero'));
  const output = role === 'output-file' || role === 'output-dir' || role === 'root';
  switch (kase) {
    case 'missing':
      return output ? at('missing/x') : at('missing');
    case 'unreadable':
      if (role === 'root') return lockedStore;
      if (output) return at('secret-dir/x');
      return role === 'input-dir' ? at('secret-dir') : at('secret');
    case 'directory':
      return at('dir');
    case 'file':
      return at('file');
    case 'under-a-file':
      return at('file/x');
    case 'fifo':
      return at('fifo');
    case 'dev-zero':
      // Writing is tried through a link, so a regression replaces the link, not the device.
      return role === 'output-file' ? at('zero') : '/dev/zero';
    case 'empty':
      return at('empty');
    case 'random':
      return at('random');
  }
}

/** The built CLI (as nobody for the unreadable case), with a writer feeding the FIFO meanwhile. */
function runCase(verb: Verb, kase: Case, p: string, dir: string): ShaleRun {
  const root = verb.role === 'root' ? p : store;
  const argv = [SHALE_BIN, '--root', root, ...verb.args(p)];
  // A FIFO gets random bytes then end-of-file (without a writer, opening it waits forever).
  const writer =
    kase === 'fifo'
      ? spawn('sh', ['-c', 'cat random > fifo'], { cwd: dir, stdio: 'ignore' })
      : undefined;
  const stdin = verb.role === 'stdin' ? fs.openSync(p, 'r') : 'ignore';
  if (kase === 'unreadable') sh('chown', ['-R', '65534:65534', store]);
  try {
    const r =
      kase === 'unreadable'
        ? spawnSync('setpriv', [...NOBODY, process.execPath, ...argv], {
            stdio: [stdin],
            timeout: 30_000,
          })
        : spawnSync(process.execPath, argv, { stdio: [stdin], timeout: 30_000 });
    return { status: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
  } finally {
    writer?.kill();
    if (typeof stdin === 'number') fs.closeSync(stdin);
  }
}

/**
 * Whether the refusal must name the path: always, except where the bytes read are the problem
 * (their format's error speaks of the content) and for stdin (which has no name).
 */
function namesPath(role: Role, kase: Case): boolean {
  if (role === 'stdin') return false;
  const content = ['file', 'fifo', 'dev-zero', 'empty', 'random'].includes(kase);
  return !(role === 'input' && content);
}

/** Exit 1, one `shale:` line (naming `named` when given), no stack, no internal error. */
function assertCleanRefusal(r: ShaleRun, named?: string): void {
  assert.equal(r.status, 1, `expected exit 1, got ${r.status}:\n${r.stderr}`);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `expected one line on stderr, got:\n${r.stderr}`);
  assert.match(lines[0]!, /^shale: /);
  assert.doesNotMatch(r.stderr, /internal error/);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'a stack trace was printed');
  if (named !== undefined) {
    const tail = named.split('/').slice(-2).join('/');
    assert.ok(r.stderr.includes(tail), `not named: ${named}`);
  }
}

let caseNumber = 0;
for (const verb of VERBS) {
  for (const kase of CASES) {
    if (verb.absent?.includes(kase)) continue;
    const usable = verb.usable?.includes(kase) ?? false;
    test(`${verb.name} with ${kase === 'dev-zero' ? '/dev/zero' : kase}: ${usable ? 'works' : 'refused cleanly'}`, async () => {
      const dir = path.join(work, `case-${++caseNumber}`);
      const p = makeCase(dir, kase, verb.role);
      const storeBefore = await storeState(store);
      const r = runCase(verb, kase, p, dir);
      assert.ok(fs.statSync('/dev/zero').isCharacterDevice(), '/dev/zero was replaced');
      if (usable) {
        assert.equal(r.status, 0, r.stderr);
        return;
      }
      assertCleanRefusal(r, namesPath(verb.role, kase) ? p : undefined);
      assert.deepEqual(await storeState(store), storeBefore, 'the store changed');
    });
  }
}

/** An OCI layout saved from the store, with the blob `pick` chooses deleted. */
function layoutWithout(
  name: string,
  pick: (manifest: { config: { digest: string } }, manifestDigest: string) => string,
): string {
  const dir = path.join(work, name);
  sh(process.execPath, [
    SHALE_BIN,
    '--root',
    store,
    'save',
    'img:1',
    '--format',
    'oci-dir',
    '-o',
    dir,
  ]);
  const blob = (digest: string) => path.join(dir, 'blobs', 'sha256', digest.replace('sha256:', ''));
  const index = JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8')) as {
    manifests: { digest: string }[];
  };
  const manifestDigest = index.manifests[0]!.digest;
  const manifest = JSON.parse(fs.readFileSync(blob(manifestDigest), 'utf8')) as {
    config: { digest: string };
  };
  fs.rmSync(blob(pick(manifest, manifestDigest)));
  return dir;
}

for (const [what, pick] of [
  ['manifest', (_m: { config: { digest: string } }, digest: string) => digest],
  ['config', (m: { config: { digest: string } }) => m.config.digest],
] as const) {
  test(`load -i of an OCI layout whose ${what} blob is missing: refused cleanly`, async () => {
    const layout = layoutWithout(`no-${what}`, pick);
    const fresh = path.join(work, `fresh-for-${what}`); // holds none of the layout's blobs
    const r = spawnSync(process.execPath, [SHALE_BIN, '--root', fresh, 'load', '-i', layout], {
      encoding: 'utf8',
    });
    assertCleanRefusal({ status: r.status, stdout: r.stdout, stderr: r.stderr });
    assert.match(r.stderr, /the layout has no blob sha256:/);
    assert.equal((await storeState(fresh)).images, '[]\n');
    assert.deepEqual(fs.readdirSync(path.join(fresh, 'blobs', 'sha256')), []);
  });
}

// The last guard (src/cli/main.ts): a failure that escapes every awaited promise — here planted
// by a preloaded module while the CLI waits on stdin — still ends as one line, exit 1.
for (const [what, plant] of [
  ['an unheard stream error', "fs.createReadStream('/nonexistent/shale-stray')"],
  ['an unhandled rejection', "void fs.promises.open('/nonexistent/shale-stray')"],
] as const) {
  test(`${what} during a command: one shale line, exit 1, no stack`, async () => {
    const preload = `import fs from 'node:fs'; setTimeout(() => { ${plant}; }, 300);`;
    const child = spawn(
      process.execPath,
      [
        '--import',
        `data:text/javascript,${encodeURIComponent(preload)}`,
        SHALE_BIN,
        '--root',
        store,
        'login',
        '-u',
        'u',
        '--password-stdin',
        '127.0.0.1:1',
      ],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    const stderr: Buffer[] = [];
    child.stderr.on('data', (c: Buffer) => stderr.push(c));
    const timer = setTimeout(() => child.stdin.end(), 5000); // the guard must end it before
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
    clearTimeout(timer);
    const r = { status, stdout: '', stderr: Buffer.concat(stderr).toString('utf8') };
    assertCleanRefusal(r);
    assert.match(r.stderr, /^shale: cannot open \/nonexistent\/shale-stray: no such file/);
  });
}

// A full file system (a 64 KiB tmpfs) under each writing verb: one line naming the failure, no
// partial output left behind, the store unchanged.
test('save, save --format oci-dir and unpack onto a full file system: refused cleanly', async () => {
  const rootfs = path.join(work, 'big-rootfs');
  fs.mkdirSync(rootfs);
  fs.writeFileSync(path.join(rootfs, 'big'), randomBytes(256 * 1024));
  sh(process.execPath, [SHALE_BIN, '--root', store, 'import', rootfs, 'big:1']);
  const full = path.join(work, 'full');
  fs.mkdirSync(full);
  sh('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', full]);
  try {
    for (const args of [
      ['save', 'big:1', '-o', path.join(full, 'big.tar')],
      ['save', 'big:1', '--format', 'oci-dir', '-o', path.join(full, 'layout')],
      ['unpack', 'big:1', path.join(full, 'rootfs')],
    ]) {
      const before = await storeState(store);
      const r = spawnSync(process.execPath, [SHALE_BIN, '--root', store, ...args], {
        encoding: 'utf8',
      });
      assertCleanRefusal({ status: r.status, stdout: r.stdout, stderr: r.stderr });
      assert.match(r.stderr, /no space left on the device/);
      assert.deepEqual(fs.readdirSync(full), [], `${args[0]} left files behind`);
      assert.deepEqual(await storeState(store), before, 'the store changed');
    }
  } finally {
    sh('umount', [full]);
  }
});
