/**
 * The change vocabulary of ChangesDirs (spec §7.3): a path in absolute style (`/etc/passwd`, a
 * byte string) and whether it was added, changed or deleted; ordered by path bytes.
 */
import type { ByteString } from '../tar/bytes.ts';

export type ChangeKind = 'A' | 'C' | 'D';

export interface Change {
  /** `/`-prefixed path relative to the compared roots; one char per byte (latin1). */
  path: ByteString;
  kind: ChangeKind;
}

/** Byte-wise order of paths (`/a.b` before `/a/b`): byte strings compare by char code. */
export function comparePaths(a: ByteString, b: ByteString): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A copy of `changes` sorted by path bytes. */
export function sortChanges(changes: readonly Change[]): Change[] {
  return [...changes].sort((x, y) => comparePaths(x.path, y.path));
}
