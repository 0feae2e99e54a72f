/**
 * Entry metadata on disk: owner, xattrs, mode and times in Docker's order (lchown before chmod,
 * since it clears set-id bits), and the final re-stamp of directory times after all entries.
 */
import fs from 'node:fs/promises';
import type { ByteString, TarHeader } from '../tar/index.ts';
import { display } from './clean.ts';
import { errno, joinPath, lstatOrNull } from './fs-path.ts';
import type { ApplyWarning } from './types.ts';
import { setXattrs } from './xattr.ts';

/** Times for lutimes: Node turns negative *numbers* into "now", so times before 1970 go as Dates. */
type Time = number | Date;
export function entryTimes(header: TarHeader): { atime: Time; mtime: Time } {
  const asTime = (seconds: number): Time =>
    seconds < 0 ? new Date(Math.round(seconds * 1000)) : seconds;
  const mtime = header.mtime + (header.mtimeNsec ?? 0) / 1e9;
  const atime = header.atime !== undefined && header.atime !== 0 ? header.atime : mtime;
  return { atime: asTime(atime), mtime: asTime(mtime) };
}

export interface DirStamp {
  segs: ByteString[];
  atime: Time;
  mtime: Time;
}

export interface MetadataContext {
  root: Buffer;
  sameOwner: boolean;
  warn(code: ApplyWarning['code'], segs: readonly ByteString[], message: string): void;
}

/** Apply the header's owner, xattrs, mode (not on symlinks) and times to the entry at `real`. */
export async function applyMetadata(
  ctx: MetadataContext,
  real: ByteString[],
  header: TarHeader,
  kind: 'dir' | 'file' | 'symlink',
): Promise<void> {
  const full = joinPath(ctx.root, real);
  if (ctx.sameOwner) {
    try {
      await fs.lchown(full, header.uid, header.gid);
    } catch (err) {
      if (errno(err) !== 'EPERM' && errno(err) !== 'EINVAL') throw err;
      ctx.warn('WARN_OWNER_REFUSED', real, `lchown ${header.uid}:${header.gid} refused`);
    }
  }
  for (const failure of await setXattrs(full, header.xattrs)) {
    ctx.warn(
      'WARN_XATTR_REFUSED',
      real,
      `xattr ${display(failure.name)} refused: ${failure.message}`,
    );
  }
  if (kind !== 'symlink') await fs.chmod(full, header.mode & 0o7777);
  const t = entryTimes(header);
  await fs.lutimes(full, t.atime, t.mtime);
}

/** Directory times again, after their children were created; skipped if no longer a real dir. */
export async function restampDirectories(root: Buffer, stamps: readonly DirStamp[]): Promise<void> {
  for (const stamp of stamps) {
    let ok = true;
    for (let i = 0; i <= stamp.segs.length && ok; i++) {
      const st = await lstatOrNull(joinPath(root, stamp.segs.slice(0, i)));
      ok = st !== null && st.isDirectory();
    }
    if (ok) await fs.lutimes(joinPath(root, stamp.segs), stamp.atime, stamp.mtime);
  }
}
