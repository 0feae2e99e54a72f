// Helpers for the GNU tar property tests: random file trees (names, links, devices, xattrs) as
// fast-check arbitraries, putting them on disk, walking them back with lstat, and talking to the
// command-line tools (GNU tar, setfattr/getfattr from Debian's `attr`, mkfifo, mknod).
// All paths and names are byte strings (one char per byte) and reach the file system as Buffers,
// so names that are not UTF-8 survive exactly.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import {
  byteStringToBuffer,
  utf8ToByteString,
  type ByteString,
} from '../../src/archive/tar/index.ts';

export const IS_ROOT = process.getuid?.() === 0;

// ---------------------------------------------------------------------------------------------
// Running tools

export interface RunResult {
  status: number | null;
  stdout: Buffer;
  stderr: string;
}

export function run(cmd: string, args: string[], env?: NodeJS.ProcessEnv): RunResult {
  const r = spawnSync(cmd, args, { env: env ?? process.env, maxBuffer: 256 << 20 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString('latin1') };
}

/** Run a tool that must succeed silently (exit 0, nothing on stderr); returns its stdout. */
export function runQuiet(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Buffer {
  const r = run(cmd, args, env);
  if (r.status !== 0 || r.stderr !== '') {
    throw new Error(
      `${cmd} ${args.map((a) => JSON.stringify(a)).join(' ')} failed with status ${r.status}:\n${r.stderr}`,
    );
  }
  return r.stdout;
}

/** Fails with an actionable message when a tool the tests need is missing. Never skips. */
export function requireTools(): string {
  const tar = spawnSync('tar', ['--version'], { encoding: 'utf8' });
  if (tar.error || !/^tar \(GNU tar\) /.test(tar.stdout)) {
    throw new Error('GNU tar is required as the oracle (apt-get install tar)');
  }
  for (const tool of ['setfattr', 'getfattr']) {
    const r = spawnSync(tool, ['--version'], { encoding: 'utf8' });
    if (r.error) {
      throw new Error(`${tool} not found; the xattr trees need it: apt-get install attr`);
    }
  }
  for (const tool of ['mkfifo', 'mknod']) {
    const r = spawnSync(tool, ['--version'], { encoding: 'utf8' });
    if (r.error) throw new Error(`${tool} not found (apt-get install coreutils)`);
  }
  return tar.stdout.split('\n')[0]!;
}

// ---------------------------------------------------------------------------------------------
// Byte-string paths

export function under(root: string, rel: ByteString): Buffer {
  const base = Buffer.from(root, 'utf8');
  return rel === '' ? base : Buffer.concat([base, Buffer.from('/'), byteStringToBuffer(rel)]);
}

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Every path below `root` (relative byte strings, root itself excluded) with its lstat. */
export function walk(root: string): Map<ByteString, fs.BigIntStats> {
  const out = new Map<ByteString, fs.BigIntStats>();
  const visit = (rel: ByteString) => {
    for (const name of fs.readdirSync(under(root, rel), { encoding: 'buffer' })) {
      const child = rel === '' ? name.toString('latin1') : `${rel}/${name.toString('latin1')}`;
      const st = fs.lstatSync(under(root, child), { bigint: true });
      out.set(child, st);
      if (st.isDirectory()) visit(child);
    }
  };
  visit('');
  return out;
}

/** Linux dev_t → major/minor (glibc's gnu_dev_major/gnu_dev_minor). */
export function devNumbers(rdev: bigint): { major: number; minor: number } {
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
  return { major: Number(major), minor: Number(minor) };
}

export function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

/** Lets a non-root user delete a tree whose directories have odd modes. */
export function removeTree(dir: string): void {
  if (!IS_ROOT) {
    try {
      fs.chmodSync(dir, 0o700);
      for (const [rel, st] of walk(dir)) if (st.isDirectory()) fs.chmodSync(under(dir, rel), 0o700);
    } catch {
      // best effort; rmSync reports what is left
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------
// xattrs through setfattr/getfattr dumps. Their quoting (attr's libmisc/quote.c): bytes below
// 0x20, the backslash and the given extra characters become \ooo; everything else is raw.

function quote(text: ByteString, extra: string): ByteString {
  let out = '';
  for (const ch of text) {
    const code = ch.charCodeAt(0);
    out +=
      code < 0x20 || ch === '\\' || extra.includes(ch)
        ? `\\${code.toString(8).padStart(3, '0')}`
        : ch;
  }
  return out;
}

function unquote(text: ByteString): ByteString {
  return text.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

export type XattrMap = Map<ByteString, Buffer>;

/** Set xattrs with one `setfattr --restore` (paths may hold any bytes; argv could not). */
export function setXattrs(items: [abs: ByteString, xattrs: XattrMap][], scratchDir: string): void {
  if (items.length === 0) return;
  let dump = '';
  for (const [abs, xattrs] of items) {
    dump += `# file: ${quote(abs, '')}\n`;
    for (const [name, value] of xattrs) dump += `${quote(name, '=')}=0x${value.toString('hex')}\n`;
    dump += '\n';
  }
  const file = path.join(scratchDir, 'xattrs.dump');
  fs.writeFileSync(file, Buffer.from(dump, 'latin1'));
  runQuiet('setfattr', [`--restore=${file}`]);
}

/** All xattrs (every namespace) below and including `root`, keyed by relative path. */
export function readXattrs(root: string): Map<ByteString, XattrMap> {
  const text = runQuiet('getfattr', [
    '-R',
    '-P',
    '-h',
    '-d',
    '-m',
    '-',
    '-e',
    'hex',
    '--absolute-names',
    root,
  ]).toString('latin1');
  const out = new Map<ByteString, XattrMap>();
  const rootBytes = Buffer.from(root, 'utf8').toString('latin1');
  let current: XattrMap | undefined;
  for (const line of text.split('\n')) {
    if (line === '') {
      current = undefined;
      continue;
    }
    if (line.startsWith('# file: ')) {
      const abs = unquote(line.slice('# file: '.length));
      let rel: ByteString;
      if (abs === rootBytes) rel = '';
      else if (abs.startsWith(`${rootBytes}/`)) rel = abs.slice(rootBytes.length + 1);
      else throw new Error(`getfattr reported a path outside ${root}: ${JSON.stringify(abs)}`);
      current = new Map();
      out.set(rel, current);
      continue;
    }
    const eq = line.indexOf('=');
    const m = /^0x([0-9a-f]*)$/.exec(eq === -1 ? '' : line.slice(eq + 1));
    if (!current || !m) throw new Error(`unexpected getfattr output line ${JSON.stringify(line)}`);
    current.set(unquote(line.slice(0, eq)), Buffer.from(m[1]!, 'hex'));
  }
  return out;
}

export function xattrsToObject(
  map: ReadonlyMap<ByteString, Uint8Array> | undefined,
): Record<string, string> {
  const entries = [...(map ?? new Map<ByteString, Uint8Array>())].map(
    ([k, v]) => [k, Buffer.from(v).toString('hex')] as const,
  );
  return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

// ---------------------------------------------------------------------------------------------
// Random trees

export type Kind = 'file' | 'dir' | 'symlink' | 'hardlink' | 'fifo' | 'char' | 'block';

export interface TreeNode {
  kind: Kind;
  /** Relative path, no trailing slash. */
  path: ByteString;
  mode: number;
  uid: number;
  gid: number;
  /** Whole seconds and the signed sub-second part (negative for negative times, as PAX/Go). */
  mtime: number;
  mtimeNsec: number;
  content: Buffer;
  /** Symlink target, or the path of the hard link's target. */
  target: ByteString;
  major: number;
  minor: number;
  xattrs: XattrMap;
  uname: ByteString;
  gname: ByteString;
  /** Directories only: write the entry name with a trailing slash. */
  slash: boolean;
}

export interface TreeOptions {
  devices: boolean;
  /** Random owners need root; otherwise every node belongs to the current user. */
  owners: boolean;
  /** 'disk': any xattr name Linux allows; 'writer': names that survive PAX without escaping. */
  xattrNames: 'disk' | 'writer';
  /** Latest mtime the file system under test stores. */
  maxTime: number;
  maxNodes: number;
}

const PLAIN = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-';
const plainChar = fc.constantFrom(...PLAIN);
const NAME_SPECIALS: ByteString[] = [
  ' ',
  '\xe9',
  '\xff',
  '\x80',
  '\x01',
  '\t',
  '\n',
  '\\',
  '#',
  '%',
  '=',
  '*',
  '?',
  "'",
  '"',
  '$',
  ':',
  '~',
  utf8ToByteString('é'),
  utf8ToByteString('日本'),
  utf8ToByteString('😀'),
  utf8ToByteString('\u00a0'),
];
const namePiece = fc.oneof(
  { weight: 6, arbitrary: plainChar },
  { weight: 1, arbitrary: fc.constantFrom(...NAME_SPECIALS) },
);

const shortComponent = fc.array(namePiece, { minLength: 1, maxLength: 12 }).map((p) => p.join(''));
/** 101–216 bytes: too long for the ustar name field on its own. */
const longComponent = fc
  .tuple(fc.integer({ min: 101, max: 200 }), fc.array(namePiece, { maxLength: 4 }))
  .map(
    ([n, tail]) =>
      Array.from({ length: n }, (_, i) => PLAIN[i % PLAIN.length]!).join('') + tail.join(''),
  );
export const nameComponent = fc
  .oneof({ weight: 5, arbitrary: shortComponent }, { weight: 1, arbitrary: longComponent })
  .filter((c) => c !== '.' && c !== '..');

const symlinkTarget = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .array(fc.oneof(shortComponent, fc.constant('..'), fc.constant('.')), {
        minLength: 1,
        maxLength: 4,
      })
      .map((parts) => parts.join('/')),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom('', '/', '../'), longComponent, shortComponent)
      .map(([lead, long, last]) => `${lead}${long}/${last}`),
  },
);

function xattrArb(names: 'disk' | 'writer') {
  // GNU tar percent-escapes '%' and '=' in SCHILY.xattr keys and decodes them on extraction;
  // a PAX key cannot hold '=' at all. So the writer direction leaves both out.
  const specials =
    names === 'disk'
      ? [' ', '\xe9', '\xff', '=', '%', '\n', utf8ToByteString('é')]
      : [' ', '\xe9', '\xff', '\n', utf8ToByteString('é')];
  const name = fc
    .array(
      fc.oneof(
        { weight: 5, arbitrary: plainChar },
        { weight: 1, arbitrary: fc.constantFrom(...specials) },
      ),
      {
        minLength: 1,
        maxLength: 20,
      },
    )
    .map((p) => `user.${p.join('')}`);
  return fc.uniqueArray(fc.tuple(name, fc.uint8Array({ maxLength: 48 })), {
    selector: ([n]) => n,
    maxLength: 3,
  });
}

function idArb(owners: boolean, own: number) {
  return owners
    ? fc.oneof(
        { weight: 3, arbitrary: fc.integer({ min: 0, max: 65535 }) },
        { weight: 1, arbitrary: fc.integer({ min: 0, max: 4294967294 }) },
      )
    : fc.constant(own);
}

export function timeArb(maxTime: number) {
  return fc
    .tuple(
      fc.oneof(
        { weight: 3, arbitrary: fc.integer({ min: 0, max: 2 ** 31 - 1 }) },
        // Not the file system's first or last second: Linux drops the nanoseconds there.
        { weight: 1, arbitrary: fc.integer({ min: -(2 ** 31) + 2, max: maxTime }) },
      ),
      fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 999_999_999 })),
    )
    .map(([mtime, ns]) => ({ mtime, mtimeNsec: mtime < 0 && ns > 0 ? -ns : ns }));
}

const ownerName = fc.oneof(
  fc.constant(''),
  fc.array(plainChar, { minLength: 1, maxLength: 40 }).map((p) => p.join('')),
);

export function treeArb(opts: TreeOptions) {
  const kinds: { weight: number; arbitrary: fc.Arbitrary<Kind> }[] = [
    { weight: 4, arbitrary: fc.constant('file') },
    { weight: 3, arbitrary: fc.constant('dir') },
    { weight: 2, arbitrary: fc.constant('symlink') },
    { weight: 2, arbitrary: fc.constant('hardlink') },
    { weight: 1, arbitrary: fc.constant('fifo') },
  ];
  if (opts.devices) {
    kinds.push(
      { weight: 1, arbitrary: fc.constant('char') },
      { weight: 1, arbitrary: fc.constant('block') },
    );
  }
  const raw = fc.record({
    kind: fc.oneof(...kinds),
    parent: fc.nat(),
    name: nameComponent,
    mode: fc.integer({ min: 0, max: 0o7777 }),
    uid: idArb(opts.owners, process.getuid?.() ?? 0),
    gid: idArb(opts.owners, process.getgid?.() ?? 0),
    time: timeArb(opts.maxTime),
    content: fc.oneof(
      { weight: 1, arbitrary: fc.constant(new Uint8Array(0)) },
      { weight: 4, arbitrary: fc.uint8Array({ maxLength: 1500 }) },
    ),
    target: symlinkTarget,
    link: fc.nat(),
    major: fc.integer({ min: 0, max: 4095 }),
    minor: fc.integer({ min: 0, max: 1048575 }),
    xattrs: xattrArb(opts.xattrNames),
    uname: ownerName,
    gname: ownerName,
    slash: fc.boolean(),
  });
  return fc.array(raw, { minLength: 1, maxLength: opts.maxNodes }).map((raws) => {
    // Place every node under a directory made before it, then list the tree depth first (each
    // directory's members right after it, as tar itself writes archives: GNU tar finalises a
    // directory's metadata as soon as it meets a member outside it), then point each hard link
    // at a regular file listed before it.
    const dirs: ByteString[] = [''];
    const used = new Set<ByteString>(['']);
    const children = new Map<ByteString, { node: TreeNode; link: number; content: Buffer }[]>();
    raws.forEach((r, i) => {
      const kind = r.kind;
      const parent = dirs[r.parent % dirs.length]!;
      let p = parent === '' ? r.name : `${parent}/${r.name}`;
      if (used.has(p)) p = `${p}~${i}`;
      used.add(p);
      const node: TreeNode = {
        kind,
        path: p,
        // Without root, the tests must still be able to read, list and delete everything.
        mode:
          kind === 'symlink' ? 0o777 : IS_ROOT ? r.mode : r.mode | (kind === 'dir' ? 0o700 : 0o600),
        uid: r.uid,
        gid: r.gid,
        mtime: r.time.mtime,
        mtimeNsec: r.time.mtimeNsec,
        content: kind === 'file' ? Buffer.from(r.content) : Buffer.alloc(0),
        target: kind === 'symlink' ? r.target : '',
        major: kind === 'char' || kind === 'block' ? r.major : 0,
        minor: kind === 'char' || kind === 'block' ? r.minor : 0,
        xattrs:
          kind === 'file' || kind === 'dir' || kind === 'hardlink'
            ? new Map(r.xattrs.map(([k, v]) => [k, Buffer.from(v)]))
            : new Map<ByteString, Buffer>(),
        uname: r.uname,
        gname: r.gname,
        slash: kind === 'dir' && r.slash,
      };
      if (kind === 'dir') dirs.push(p);
      const list = children.get(parent) ?? [];
      list.push({ node, link: r.link, content: Buffer.from(r.content) });
      children.set(parent, list);
    });
    const nodes: TreeNode[] = [];
    const files: TreeNode[] = [];
    const visit = (dir: ByteString) => {
      for (const { node, link, content } of children.get(dir) ?? []) {
        if (node.kind === 'hardlink' && files.length === 0) {
          node.kind = 'file';
          node.content = content;
        }
        if (node.kind === 'hardlink') {
          const target = files[link % files.length]!;
          Object.assign(node, {
            target: target.path,
            mode: target.mode,
            uid: target.uid,
            gid: target.gid,
            mtime: target.mtime,
            mtimeNsec: target.mtimeNsec,
            uname: target.uname,
            gname: target.gname,
            xattrs: target.xattrs,
          });
        }
        if (node.kind === 'file') files.push(node);
        nodes.push(node);
        if (node.kind === 'dir') visit(node.path);
      }
    };
    visit('');
    return nodes;
  });
}

/**
 * One tree with every feature at once (run as fast-check's first example, so that every run
 * covers them whatever the random trees hold): a path over 255 bytes ending in non-UTF-8 bytes,
 * a hard link and a symlink whose targets exceed 100 bytes, UTF-8 and spaces, empty and binary
 * xattr values, set-id modes, times before 1970 and after 2038, big ids, a FIFO and devices.
 */
export function exampleTree(opts: TreeOptions): TreeNode[] {
  const own = (id: number, fallback: number | undefined) => (opts.owners ? id : (fallback ?? 0));
  const uid = (id: number) => own(id, process.getuid?.());
  const gid = (id: number) => own(id, process.getgid?.());
  const base = {
    mode: 0o644,
    uid: uid(0),
    gid: gid(0),
    mtime: 1_700_000_000,
    mtimeNsec: 123_456_789,
    content: Buffer.alloc(0),
    target: '',
    major: 0,
    minor: 0,
    xattrs: new Map<ByteString, Buffer>(),
    uname: '',
    gname: '',
    slash: false,
  };
  const deep = `d/${'x'.repeat(150)}`;
  const longFile = `${deep}/${'y'.repeat(120)}\xe9\xff`;
  const binary = Buffer.from([0x00, 0xff, 0x10, 0x0a, 0x3d, 0x80]);
  const xattrs = new Map<ByteString, Buffer>([
    ['user.bin', binary],
    ['user.empty', Buffer.alloc(0)],
    [`user.${utf8ToByteString('ü')}\xe9 x`, Buffer.from('v')],
  ]);
  if (opts.xattrNames === 'disk') xattrs.set('user.a=b%c', Buffer.from('percent'));
  const nodes: TreeNode[] = [
    {
      ...base,
      kind: 'dir',
      path: 'd',
      mode: 0o2750,
      slash: true,
      xattrs: new Map([['user.dir', binary]]),
    },
    { ...base, kind: 'dir', path: deep, mode: 0o755, mtime: -1000, mtimeNsec: -500_000_000 },
    {
      ...base,
      kind: 'file',
      path: longFile,
      content: Buffer.alloc(700, 0xab),
      uid: uid(3_000_000),
      gid: gid(70_000),
      xattrs,
    },
    {
      ...base,
      kind: 'file',
      path: `caf${utf8ToByteString('é')} with space`,
      mode: 0o4755,
      content: Buffer.from('hello\n'),
      mtime: Math.min(opts.maxTime, 8_589_934_592),
      mtimeNsec: 0,
    },
    { ...base, kind: 'file', path: 'empty', mode: 0o600, mtime: 0, mtimeNsec: 0 },
    {
      ...base,
      kind: 'hardlink',
      path: 'hard link',
      target: longFile,
      uid: uid(3_000_000),
      gid: gid(70_000),
      xattrs,
    },
    { ...base, kind: 'symlink', path: 'sym', mode: 0o777, target: `${'z'.repeat(150)}/\xe9` },
    { ...base, kind: 'fifo', path: 'fifo', mode: 0o640 },
  ];
  if (opts.devices) {
    nodes.push(
      { ...base, kind: 'char', path: 'null-ish', mode: 0o666, major: 1, minor: 3 },
      { ...base, kind: 'block', path: 'blk', mode: 0o660, major: 259, minor: 1_048_575 },
    );
  }
  return nodes;
}

/** Human-readable summary of a tree for failure messages. */
export function describeTree(nodes: TreeNode[]): string {
  return nodes
    .map(
      (n) =>
        `${n.kind} ${JSON.stringify(n.path)}${n.target ? ` -> ${JSON.stringify(n.target)}` : ''}`,
    )
    .join('\n');
}

/**
 * A node's mtime for fs.utimes: Node turns negative *numbers* into the current time, so times
 * before 1970 go as a Date (millisecond precision); others as seconds (microsecond precision).
 */
function timestamp(n: TreeNode): number | Date {
  const seconds = n.mtime + n.mtimeNsec / 1e9;
  return seconds < 0 ? new Date(Math.round(seconds * 1000)) : seconds;
}

/** How far (ns) the file system's mtime may be from the one asked for (see timestamp). */
export const MTIME_TOLERANCE_NS = 1_000_000n;

/** Put `nodes` on disk below `root`; `scratch` (same file system, outside root) stages special files. */
export function materialize(
  root: string,
  scratch: string,
  nodes: TreeNode[],
  rootTime: number,
): void {
  nodes.forEach((n, i) => {
    const p = under(root, n.path);
    switch (n.kind) {
      case 'dir':
        fs.mkdirSync(p);
        break;
      case 'file':
        fs.writeFileSync(p, n.content);
        break;
      case 'symlink':
        fs.symlinkSync(byteStringToBuffer(n.target), p);
        break;
      case 'hardlink':
        fs.linkSync(under(root, n.target), p);
        break;
      default: {
        // mkfifo/mknod take their path on the command line, which cannot carry arbitrary bytes:
        // make the node under an ASCII name and rename it into place.
        const staged = path.join(scratch, `node${i}`);
        if (n.kind === 'fifo') runQuiet('mkfifo', [staged]);
        else
          runQuiet('mknod', [
            staged,
            n.kind === 'char' ? 'c' : 'b',
            String(n.major),
            String(n.minor),
          ]);
        fs.renameSync(staged, p);
      }
    }
  });
  setXattrs(
    nodes
      .filter((n) => n.xattrs.size > 0)
      .map((n) => [under(root, n.path).toString('latin1'), n.xattrs] as [ByteString, XattrMap]),
    scratch,
  );
  const own = nodes.filter((n) => n.kind !== 'hardlink');
  if (IS_ROOT) for (const n of own) fs.lchownSync(under(root, n.path), n.uid, n.gid);
  for (const n of own) if (n.kind !== 'symlink') fs.chmodSync(under(root, n.path), n.mode);
  // Children were created after their parents: set times in reverse so that no later change
  // touches a directory whose mtime is already set.
  for (const n of [...own].reverse()) {
    const t = timestamp(n);
    fs.lutimesSync(under(root, n.path), t, t);
  }
  fs.utimesSync(root, rootTime, rootTime);
}

/** The latest mtime this file system keeps (ext4: 2446; others may stop at 2038). */
export function probeMaxTime(dir: string): number {
  const probe = path.join(dir, 'time-probe');
  fs.writeFileSync(probe, '');
  try {
    const wanted = 15_000_000_000;
    fs.utimesSync(probe, wanted, wanted);
    return Number(fs.statSync(probe, { bigint: true }).mtimeNs / 1_000_000_000n) === wanted
      ? wanted
      : 2 ** 31 - 2;
  } finally {
    fs.rmSync(probe);
  }
}
