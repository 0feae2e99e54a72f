/**
 * Creating and removing file-system objects under a resolved parent without following a final
 * symlink: recursive removal by lstat, FIFOs and device nodes through mkfifo(1)/mknod(1) aimed at
 * an O_PATH descriptor of the parent directory, and private copies ("copy-up") of shared inodes.
 */
import { spawn } from 'node:child_process';
import { constants, readdirSync, rmdirSync, unlinkSync, type Stats } from 'node:fs';
import fs from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { ShaleError } from '../../core/errors.ts';
import { errno, lstatOrNull } from './fs-path.ts';
import { readXattrs, setXattrs } from './xattr.ts';

const O_PATH = 0o10000000;

/**
 * Remove whatever `p` names (a directory with its whole subtree); never follows symlinks. Returns
 * the stats of what was there (null: nothing was).
 */
export function removeAll(p: Buffer): Stats | null {
  const st = lstatOrNull(p);
  if (st === null) return null;
  if (!st.isDirectory()) {
    unlinkSync(p);
    return st;
  }
  for (const child of readdirSync(p, { encoding: 'buffer' })) {
    removeAll(Buffer.concat([p, Buffer.from('/'), child]));
  }
  rmdirSync(p);
  return st;
}

function tempName(): Buffer {
  return Buffer.from(`.shale-tmp-${randomBytes(8).toString('hex')}`);
}

function exec(
  cmd: string,
  args: string[],
  fd: number,
): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe', fd] });
    const err: Buffer[] = [];
    child.stderr!.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (status) =>
      resolve({ status, stderr: Buffer.concat(err).toString().trim() }),
    );
  });
}

export type NodeKind = 'fifo' | 'char' | 'block';

/**
 * mkfifo/mknod `name` inside the real directory `dir` (which must not exist yet there). The tool
 * creates an ASCII temporary name through /proc/self/fd/3 (the parent's O_PATH descriptor), which
 * Node then renames to the byte-exact final name. Returns false when the kernel refused (EPERM).
 */
export async function makeNode(
  dir: Buffer,
  name: Buffer,
  kind: NodeKind,
  mode: number,
  major = 0,
  minor = 0,
): Promise<{ ok: true } | { ok: false; message: string }> {
  const tmp = tempName();
  const handle = await fs.open(dir, O_PATH | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  let r: { status: number | null; stderr: string };
  try {
    const target = `/proc/self/fd/3/${tmp.toString()}`;
    const perm = (mode & 0o7777).toString(8);
    r =
      kind === 'fifo'
        ? await exec('mkfifo', ['-m', perm, '--', target], handle.fd)
        : await exec(
            'mknod',
            ['-m', perm, '--', target, kind === 'char' ? 'c' : 'b', String(major), String(minor)],
            handle.fd,
          );
  } finally {
    await handle.close();
  }
  if (r.status !== 0) return { ok: false, message: r.stderr || `${kind} creation failed` };
  const from = Buffer.concat([dir, Buffer.from('/'), tmp]);
  await fs.rename(from, Buffer.concat([dir, Buffer.from('/'), name]));
  return { ok: true };
}

/**
 * Replace the non-directory at `dir/name` by a private copy (new inode; same type, content,
 * mode, owner, times and xattrs), so that later metadata changes cannot reach an inode shared with
 * another snapshot. Returns the new inode's stats.
 */
export async function copyUp(dir: Buffer, name: Buffer, st: Stats): Promise<Stats> {
  const src = Buffer.concat([dir, Buffer.from('/'), name]);
  const tmpName = tempName();
  const tmp = Buffer.concat([dir, Buffer.from('/'), tmpName]);
  const perm = st.mode & 0o7777;
  if (st.isFile()) {
    const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
    const out = await fs.open(tmp, flags, 0o600);
    try {
      const input = await fs.open(src, constants.O_RDONLY | constants.O_NOFOLLOW);
      try {
        const buf = Buffer.allocUnsafe(1 << 16);
        for (;;) {
          const { bytesRead } = await input.read(buf, 0, buf.length, null);
          if (bytesRead === 0) break;
          await out.write(buf, 0, bytesRead);
        }
      } finally {
        await input.close();
      }
    } finally {
      await out.close();
    }
  } else if (st.isSymbolicLink()) {
    await fs.symlink(await fs.readlink(src, { encoding: 'buffer' }), tmp);
  } else if (st.isFIFO() || st.isCharacterDevice() || st.isBlockDevice()) {
    const kind: NodeKind = st.isFIFO() ? 'fifo' : st.isCharacterDevice() ? 'char' : 'block';
    const major = Math.floor(st.rdev / 256) & 0xfff;
    const minor = (st.rdev & 0xff) | (Math.floor(st.rdev / 4096) & 0xfff00);
    const made = await makeNode(dir, tmpName, kind, perm, major, minor);
    if (!made.ok) {
      throw new ShaleError('ERR_UNSUPPORTED', `cannot copy a shared ${kind} node: ${made.message}`);
    }
  } else {
    throw new ShaleError('ERR_UNSUPPORTED', 'cannot copy a socket that a hard link points to');
  }
  try {
    const xattrs = await readXattrs(src);
    await setXattrs(tmp, xattrs);
    try {
      await fs.lchown(tmp, st.uid, st.gid);
    } catch (err) {
      if (errno(err) !== 'EPERM') throw err;
    }
    if (!st.isSymbolicLink()) await fs.chmod(tmp, perm);
    await fs.lutimes(tmp, st.atimeMs / 1000, st.mtimeMs / 1000);
    await fs.rename(tmp, src);
  } catch (err) {
    await fs.unlink(tmp).catch(() => undefined);
    throw err;
  }
  return fs.lstat(src);
}
