/**
 * Byte-exact file-system paths: joining the root and byte-string segments into Buffers (so names
 * that are not UTF-8 reach the kernel unchanged), and small lstat/errno helpers.
 */
import fs from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { byteStringToBuffer, type ByteString } from '../tar/index.ts';

const SLASH = Buffer.from('/');

export function joinPath(root: Buffer, segs: readonly ByteString[]): Buffer {
  const parts: Buffer[] = [root];
  for (const seg of segs) parts.push(SLASH, byteStringToBuffer(seg));
  return Buffer.concat(parts);
}

export function errno(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | null)?.code;
}

export async function lstatOrNull(p: Buffer): Promise<Stats | null> {
  try {
    return await fs.lstat(p);
  } catch (err) {
    if (errno(err) === 'ENOENT') return null;
    throw err;
  }
}

export function inodeKey(st: Stats): string {
  return `${st.dev}:${st.ino}`;
}
