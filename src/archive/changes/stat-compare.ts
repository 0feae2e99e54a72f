/**
 * The metadata test of ChangesDirs (spec §7.3): mode (with type), owner and rdev always; mtime
 * and size only for non-directories; mtimes equal when seconds match and nanoseconds match or
 * either side has none (tar copies keep whole seconds). Content is never read.
 */

/** The fields of a stat that ChangesDirs compares (a bigint `lstat` has them all). */
export interface MetaStat {
  mode: bigint;
  uid: bigint;
  gid: bigint;
  rdev: bigint;
  size: bigint;
  mtimeNs: bigint;
}

const NS = 1_000_000_000n;
const S_IFMT = 0o170000n;
const S_IFDIR = 0o040000n;

export function isDirectoryMode(mode: bigint): boolean {
  return (mode & S_IFMT) === S_IFDIR;
}

/** Seconds and nanoseconds (0 ≤ ns < 1e9) of a stat's mtime. */
function splitMtime(st: MetaStat): { sec: bigint; nsec: bigint } {
  const nsec = ((st.mtimeNs % NS) + NS) % NS;
  return { sec: (st.mtimeNs - nsec) / NS, nsec };
}

export function sameMtime(a: MetaStat, b: MetaStat): boolean {
  const x = splitMtime(a);
  const y = splitMtime(b);
  return x.sec === y.sec && (x.nsec === y.nsec || x.nsec === 0n || y.nsec === 0n);
}

export function statDifferent(oldStat: MetaStat, newStat: MetaStat): boolean {
  if (
    oldStat.mode !== newStat.mode ||
    oldStat.uid !== newStat.uid ||
    oldStat.gid !== newStat.gid ||
    oldStat.rdev !== newStat.rdev
  ) {
    return true;
  }
  // Modes are equal here, so both sides are directories or neither is.
  if (isDirectoryMode(newStat.mode)) return false;
  return !sameMtime(oldStat, newStat) || oldStat.size !== newStat.size;
}
