/**
 * Entry metadata on disk: owner, xattrs, mode and times in Docker's order (chown before chmod,
 * since it clears set-id bits), by path for what the applier did not open and by descriptor for
 * the regular files it writes, and the final re-stamp of directory times after all entries.
 * Only xattrs may wait (their fallback runs a tool); everything else is a synchronous call.
 */
import {
  chmodSync,
  fchmodSync,
  fchownSync,
  futimesSync,
  lchownSync,
  lutimesSync,
  type Stats,
} from 'node:fs';
import type { ByteString, TarHeader } from '../tar/index.ts';
import { display } from './clean.ts';
import { errno, joinPath, lstatOrNull } from './fs-path.ts';
import type { ApplyWarning } from './types.ts';
import { setXattrs } from './xattr.ts';

/** What of an entry's header goes on disk as metadata. */
export type EntryMetadata = Pick<
  TarHeader,
  'uid' | 'gid' | 'mode' | 'mtime' | 'mtimeNsec' | 'atime' | 'xattrs'
>;

/** Times for utimes: Node turns negative *numbers* into "now", so times before 1970 go as Dates. */
type Time = number | Date;
export function entryTimes(header: EntryMetadata): { atime: Time; mtime: Time } {
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
  sameOwner: boolean;
  warn(code: ApplyWarning['code'], segs: readonly ByteString[], message: string): void;
}

/** Where metadata goes: a path (not following a final symlink) or a descriptor we opened. */
export type MetadataTarget = { path: Buffer; fd?: number; created?: Stats };

const PERMISSION_BITS = 0o7777;

/**
 * Apply the header's owner, xattrs, mode (not on symlinks) and times. `created` is the inode's
 * state right after we created it: a chown or chmod that would change nothing is skipped. Done
 * synchronously unless there are xattrs to set: then the returned promise says when.
 */
export function applyMetadata(
  ctx: MetadataContext,
  real: ByteString[],
  header: EntryMetadata,
  kind: 'dir' | 'file' | 'symlink',
  target: MetadataTarget,
): Promise<void> | undefined {
  setOwner(ctx, real, header, target);
  if (header.xattrs.size === 0) {
    setModeAndTimes(header, kind, target);
    return undefined;
  }
  return setXattrs(target.path, header.xattrs).then((failures) => {
    for (const failure of failures) {
      ctx.warn(
        'WARN_XATTR_REFUSED',
        real,
        `xattr ${display(failure.name)} refused: ${failure.message}`,
      );
    }
    setModeAndTimes(header, kind, target);
  });
}

function setOwner(
  ctx: MetadataContext,
  real: ByteString[],
  header: EntryMetadata,
  { path, fd, created }: MetadataTarget,
): void {
  if (!ctx.sameOwner) return;
  if (created !== undefined && created.uid === header.uid && created.gid === header.gid) return;
  try {
    if (fd !== undefined) fchownSync(fd, header.uid, header.gid);
    else lchownSync(path, header.uid, header.gid);
  } catch (err) {
    if (errno(err) !== 'EPERM' && errno(err) !== 'EINVAL') throw err;
    ctx.warn('WARN_OWNER_REFUSED', real, `lchown ${header.uid}:${header.gid} refused`);
  }
}

function setModeAndTimes(
  header: EntryMetadata,
  kind: 'dir' | 'file' | 'symlink',
  { path, fd, created }: MetadataTarget,
): void {
  const mode = header.mode & PERMISSION_BITS;
  // A fresh inode never has set-id bits, so a chown before cannot have changed its mode.
  if (kind !== 'symlink' && (created === undefined || (created.mode & PERMISSION_BITS) !== mode)) {
    if (fd !== undefined) fchmodSync(fd, mode);
    else chmodSync(path, mode);
  }
  const t = entryTimes(header);
  if (fd !== undefined) futimesSync(fd, t.atime, t.mtime);
  else lutimesSync(path, t.atime, t.mtime);
}

/** Whether a real path is still a directory reached through directories only, by segment. */
interface DirCheck {
  readonly ok: boolean;
  readonly below: Map<ByteString, DirCheck>;
}

/**
 * Directory times again, after their children were created. The first `unsure` stamps were taken
 * before a directory or symlink was removed, so a later entry may have put a symlink on their
 * path: those are checked (each path prefix with one lstat, once) and skipped if no longer a real
 * directory. The others were taken after the last removal and still name the same directories.
 */
export function restampDirectories(
  root: Buffer,
  stamps: readonly DirStamp[],
  unsure: number,
): void {
  const top: DirCheck = { ok: true, below: new Map() };
  for (const [index, stamp] of stamps.entries()) {
    let at = top;
    for (let i = 0; i < stamp.segs.length && at.ok && index < unsure; i++) {
      let next = at.below.get(stamp.segs[i]!);
      if (next === undefined) {
        const st = lstatOrNull(joinPath(root, stamp.segs.slice(0, i + 1)));
        next = { ok: st !== null && st.isDirectory(), below: new Map() };
        at.below.set(stamp.segs[i]!, next);
      }
      at = next;
    }
    if (at.ok) lutimesSync(joinPath(root, stamp.segs), stamp.atime, stamp.mtime);
  }
}
