/**
 * The `security.capability` xattr, the only one ChangesDirs compares (spec §7.3), read without
 * following symlinks: native `@napi-rs/xattr` (lgetxattr) for UTF-8 paths, else one
 * `getfattr -R` per tree. Unreadable attributes count as absent, as upstream.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { ShaleError } from '../../core/errors.ts';
import { asUtf8, loadNativeXattr as loadNative } from '../native-xattr.ts';
import type { ByteString } from '../tar/bytes.ts';

export const CAPABILITY_XATTR = 'security.capability';

/** Reads the capability of `dir + path` (path like `/usr/bin/ping`; `abs` the same as bytes). */
export type CapabilityReader = (path: ByteString, abs: Buffer) => Buffer | undefined;

/** `auto`: native when it loads (tool for non-UTF-8 paths); `tool`: getfattr only. */
export type CapabilitySource = 'auto' | 'tool';

function unquote(text: ByteString): ByteString {
  return text.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/**
 * Every capability under `root`, keyed by `/`-prefixed path. getfattr runs inside the directory
 * (reached through an inherited descriptor, so any root path bytes work) and escapes unusual
 * name bytes as `\ooo`, backslashes included.
 */
export function dumpCapabilities(root: Buffer): Map<ByteString, Buffer> {
  const fd = openSync(root, constants.O_RDONLY | constants.O_DIRECTORY);
  let r;
  try {
    r = spawnSync(
      'sh',
      [
        '-c',
        'cd -P /proc/self/fd/3 && exec getfattr -R -h -e hex --absolute-names -n "$0" .',
        CAPABILITY_XATTR,
      ],
      { stdio: ['ignore', 'pipe', 'pipe', fd], maxBuffer: 1 << 30 },
    );
  } finally {
    closeSync(fd);
  }
  if (r.error || r.status === 127 || r.status === null) {
    throw new ShaleError(
      'ERR_UNSUPPORTED',
      `cannot read ${CAPABILITY_XATTR} under ${root.toString()}: the native @napi-rs/xattr module ` +
        `did not load and getfattr failed (${r.error?.message ?? r.stderr.toString().trim()}); ` +
        'install it with: apt-get install attr',
    );
  }
  // Exit status 1 only says that some files lack the attribute.
  const result = new Map<ByteString, Buffer>();
  let file: ByteString | undefined;
  for (const line of r.stdout.toString('latin1').split('\n')) {
    if (line.startsWith('# file: ')) {
      file = unquote(line.slice('# file: '.length)).replace(/^\./, '');
    } else if (file && line.startsWith(`${CAPABILITY_XATTR}=`)) {
      const value = line.slice(CAPABILITY_XATTR.length + 1);
      result.set(file, Buffer.from(value.startsWith('0x') ? value.slice(2) : '', 'hex'));
    }
  }
  return result;
}

/** A reader for the tree at `root`; the getfattr dump is taken at most once, when first needed. */
export function capabilityReader(
  root: Buffer,
  source: CapabilitySource = 'auto',
): CapabilityReader {
  const lib = source === 'tool' ? null : loadNative();
  let dump: Map<ByteString, Buffer> | undefined;
  const fromTool: CapabilityReader = (path) => (dump ??= dumpCapabilities(root)).get(path);
  if (lib === null) return fromTool;
  return (path, abs) => {
    const p = asUtf8(abs);
    if (p === null) return fromTool(path, abs);
    try {
      return lib.getAttributeSync(p, CAPABILITY_XATTR) ?? undefined;
    } catch {
      return undefined; // e.g. a file system without xattr support
    }
  };
}

/** Equal capability bytes, absent and empty alike. */
export function sameCapability(a: Buffer | undefined, b: Buffer | undefined): boolean {
  return (a ?? Buffer.alloc(0)).equals(b ?? Buffer.alloc(0));
}
