/**
 * Extended attributes without following symlinks: the optional native `@napi-rs/xattr` (which uses
 * the l*xattr calls) when it loads and the path and names are UTF-8; otherwise Debian's
 * setfattr/getfattr, handed an O_PATH descriptor as /proc/self/fd/3 so any path bytes work.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import { constants } from 'node:fs';
import { asUtf8, loadNativeXattr as loadNative } from '../native-xattr.ts';
import { byteStringToBuffer, toByteString, type ByteString } from '../tar/index.ts';

/** O_PATH is not in Node's constants; Linux's value on every architecture Node supports. */
const O_PATH = 0o10000000;

/**
 * Refusals by the file system or kernel policy (EPERM, EACCES, EINVAL, E2BIG, ERANGE, ENOTSUP,
 * ENODATA): reported as warnings. Anything else (I/O errors, ENOSPC, ...) is thrown.
 */
const REFUSED_OS_ERRORS = new Set([1, 13, 22, 7, 34, 95, 61]);
const REFUSED_TEXT =
  /Operation not permitted|Permission denied|Invalid argument|Argument list too long|Numerical result out of range|Operation not supported|No data available/;

function refused(message: string): boolean {
  const m = /os error (\d+)/.exec(message);
  return m !== null ? REFUSED_OS_ERRORS.has(Number(m[1])) : REFUSED_TEXT.test(message);
}

/** One failure per attribute that could not be set; an empty list means all were set. */
export type XattrFailure = { name: ByteString; message: string };

export async function setXattrs(
  path: Buffer,
  xattrs: ReadonlyMap<ByteString, Buffer>,
): Promise<XattrFailure[]> {
  if (xattrs.size === 0) return [];
  const lib = loadNative();
  const p = asUtf8(path);
  const names = [...xattrs.keys()].map((n) => asUtf8(byteStringToBuffer(n)));
  if (lib !== null && p !== null && names.every((n) => n !== null)) {
    const failures: XattrFailure[] = [];
    for (const [name, value] of xattrs) {
      try {
        lib.setAttributeSync(p, byteStringToBuffer(name).toString('utf8'), value);
      } catch (err) {
        const message = (err as Error).message;
        if (!refused(message)) throw err;
        failures.push({ name, message });
      }
    }
    return failures;
  }
  return setWithTool(path, xattrs);
}

/** The `\ooo` quoting that getfattr writes and setfattr --restore reads. */
function quote(bytes: Buffer): string {
  let out = '';
  for (const b of bytes) {
    out +=
      b <= 0x20 || b >= 0x7f || b === 0x5c || b === 0x3d
        ? `\\${b.toString(8).padStart(3, '0')}`
        : String.fromCharCode(b);
  }
  return out;
}

function unquote(text: ByteString): ByteString {
  return text.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

async function withPathFd<T>(path: Buffer, use: (fd: number) => Promise<T>): Promise<T> {
  const handle = await fs.open(path, O_PATH | constants.O_NOFOLLOW);
  try {
    return await use(handle.fd);
  } finally {
    await handle.close();
  }
}

function runTool(
  cmd: string,
  args: string[],
  fd: number,
  input: string,
): Promise<{ status: number | null; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe', fd] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (c: Buffer) => out.push(c));
    child.stderr!.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (status) =>
      resolve({
        status,
        stdout: Buffer.concat(out),
        stderr: Buffer.concat(err).toString('utf8').trim(),
      }),
    );
    child.stdin!.end(input, 'latin1');
  });
}

async function setWithTool(
  path: Buffer,
  xattrs: ReadonlyMap<ByteString, Buffer>,
): Promise<XattrFailure[]> {
  let script = '# file: /proc/self/fd/3\n';
  for (const [name, value] of xattrs) {
    script += `${quote(byteStringToBuffer(name))}=0x${value.toString('hex')}\n`;
  }
  // Through the magic link, setxattr reaches the inode the O_PATH descriptor names (a symlink
  // itself included) without resolving any path component again.
  const r = await withPathFd(path, (fd) => runTool('setfattr', ['--restore=-'], fd, script + '\n'));
  if (r.status === 0) return [];
  if (!refused(r.stderr)) throw new Error(`setfattr failed: ${r.stderr || `exit ${r.status}`}`);
  return [
    { name: [...xattrs.keys()].join(', '), message: r.stderr || `setfattr exited ${r.status}` },
  ];
}

/** Every extended attribute of `path` (not following a final symlink). */
export async function readXattrs(path: Buffer): Promise<Map<ByteString, Buffer>> {
  const result = new Map<ByteString, Buffer>();
  const lib = loadNative();
  const p = asUtf8(path);
  if (lib !== null && p !== null) {
    try {
      const names = lib.listAttributesSync(p);
      for (const name of names) {
        const value = lib.getAttributeSync(p, name);
        if (value !== null) result.set(toByteString(Buffer.from(name, 'utf8')), value);
      }
      return result;
    } catch {
      result.clear(); // fall through to the tool
    }
  }
  const r = await withPathFd(path, (fd) =>
    runTool(
      'getfattr',
      ['-d', '-m', '-', '-e', 'hex', '--absolute-names', '/proc/self/fd/3'],
      fd,
      '',
    ),
  );
  if (r.status !== 0) return result; // e.g. a file system without xattr support
  for (const line of toByteString(r.stdout).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.lastIndexOf('=');
    if (eq <= 0) {
      result.set(unquote(line), Buffer.alloc(0));
      continue;
    }
    const value = line.slice(eq + 1);
    result.set(
      unquote(line.slice(0, eq)),
      value.startsWith('0x') ? Buffer.from(value.slice(2), 'hex') : Buffer.alloc(0),
    );
  }
  return result;
}
