// Helpers for the changes tests: building trees whose paths are byte strings (so non-UTF-8 names
// work), pinning mtimes, snapshotting a tree's comparable metadata, and listing tars with GNU tar.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';

export const IS_ROOT = process.getuid?.() === 0;

/** Seconds for every file of the base tree. */
export const T0 = 1_500_000_000;

/** A byte-string path as the Buffer the file system wants. */
export function b(path: string): Buffer {
  return Buffer.from(path, 'latin1');
}

export function join(root: string, rel: string): Buffer {
  return b(`${Buffer.from(root).toString('latin1')}/${rel}`);
}

/** Write `content` at `root/rel` (creating parents) and optionally pin its mtime (seconds). */
export function put(root: string, rel: string, content: string, mtime?: number): void {
  const p = join(root, rel);
  fs.mkdirSync(p.subarray(0, p.lastIndexOf(0x2f)), { recursive: true });
  fs.writeFileSync(p, content);
  if (mtime !== undefined) fs.utimesSync(p, mtime, mtime);
}

export function setMtime(root: string, rel: string, mtime: number): void {
  fs.lutimesSync(join(root, rel), mtime, mtime);
}

/** Pin the mtime of every entry below `root` (symlinks included, not followed). */
export function pinMtimes(root: string, mtime: number): void {
  const walk = (dir: Buffer): void => {
    for (const name of fs.readdirSync(dir, { encoding: 'buffer' })) {
      const p = Buffer.concat([dir, b('/'), name]);
      if (fs.lstatSync(p).isDirectory()) walk(p);
      fs.lutimesSync(p, mtime, mtime);
    }
  };
  walk(Buffer.from(root));
}

export function run(cmd: string, args: string[]): Buffer {
  const r = spawnSync(cmd, args, { maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr.toString()}`);
  }
  return r.stdout;
}

/** Comparable state of one entry: type, mode, owner, content/link target; mtime for non-dirs. */
export interface EntryState {
  type: string;
  mode: number;
  uid: number;
  gid: number;
  mtime?: number;
  body?: string;
}

/** Every entry below `root` keyed by byte-string path (`/a/b`); directory mtimes are left out. */
export function snapshot(root: string): Map<string, EntryState> {
  const out = new Map<string, EntryState>();
  const walk = (dir: Buffer, prefix: string): void => {
    for (const name of fs.readdirSync(dir, { encoding: 'buffer' })) {
      const p = Buffer.concat([dir, b('/'), name]);
      const rel = `${prefix}/${name.toString('latin1')}`;
      const st = fs.lstatSync(p);
      const state: EntryState = {
        type: st.isDirectory()
          ? 'dir'
          : st.isSymbolicLink()
            ? 'symlink'
            : st.isFile()
              ? 'file'
              : 'other',
        mode: st.mode,
        uid: st.uid,
        gid: st.gid,
      };
      if (!st.isDirectory()) state.mtime = Math.floor(st.mtimeMs / 1000);
      if (st.isFile()) state.body = createHash('sha256').update(fs.readFileSync(p)).digest('hex');
      if (st.isSymbolicLink())
        state.body = fs.readlinkSync(p, { encoding: 'buffer' }).toString('latin1');
      out.set(rel, state);
      if (st.isDirectory()) walk(p, rel);
    }
  };
  walk(Buffer.from(root), '');
  return out;
}

export interface ListedEntry {
  /** First char of the mode column: `-`, `d`, `l`, `h`, ... */
  kind: string;
  mode: string;
  owner: string;
  size: number;
  name: string;
  /** `link to X` (hard link) or `-> X` (symlink) target. */
  target?: string;
}

/** `tar -tvf` with numeric owners and literal names, parsed; names are byte strings. */
export function gnuList(tarFile: string): ListedEntry[] {
  const text = run('tar', ['--numeric-owner', '--quoting-style=literal', '-tvf', tarFile]).toString(
    'latin1',
  );
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((line) => {
      const m = /^(\S)(\S{9}) (\S+) +(\d+) \S+ \S+ (.*)$/.exec(line);
      if (!m) throw new Error(`unexpected tar -tv line: ${line}`);
      const [, kind = '', mode = '', owner = '', size = '0', rest = ''] = m;
      const hard = rest.split(' link to ');
      const sym = rest.split(' -> ');
      if (kind === 'h' && hard.length === 2)
        return { kind, mode, owner, size: Number(size), name: hard[0] ?? '', target: hard[1] };
      if (kind === 'l' && sym.length === 2)
        return { kind, mode, owner, size: Number(size), name: sym[0] ?? '', target: sym[1] };
      return { kind, mode, owner, size: Number(size), name: rest };
    });
}
