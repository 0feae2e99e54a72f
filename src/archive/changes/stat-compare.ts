/**
 * The metadata test of ChangesDirs (spec §7.3): mode (with type), owner and rdev always; mtime
 * and size only for non-directories; mtimes equal when seconds match and nanoseconds match or
 * either side has none (tar copies keep whole seconds). Content is never read.
 */
import type { BigIntStats } from 'node:fs';

const NS = 1_000_000_000n;

/** Seconds and nanoseconds (0 ≤ ns < 1e9) of a stat's mtime. */
function splitMtime(st: BigIntStats): { sec: bigint; nsec: bigint } {
  const nsec = ((st.mtimeNs % NS) + NS) % NS;
  return { sec: (st.mtimeNs - nsec) / NS, nsec };
}

export function sameMtime(a: BigIntStats, b: BigIntStats): boolean {
  const x = splitMtime(a);
  const y = splitMtime(b);
  return x.sec === y.sec && (x.nsec === y.nsec || x.nsec === 0n || y.nsec === 0n);
}

export function statDifferent(oldStat: BigIntStats, newStat: BigIntStats): boolean {
  if (
    oldStat.mode !== newStat.mode ||
    oldStat.uid !== newStat.uid ||
    oldStat.gid !== newStat.gid ||
    oldStat.rdev !== newStat.rdev
  ) {
    return true;
  }
  // Modes are equal here, so both sides are directories or neither is.
  if (newStat.isDirectory()) return false;
  return !sameMtime(oldStat, newStat) || oldStat.size !== newStat.size;
}
