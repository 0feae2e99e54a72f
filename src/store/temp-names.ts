/**
 * Names of temporary files (and staging directories) that say who writes them:
 * `<final name>.w<boot>_<pid namespace>_<pid>_<start time>.<random>.tmp`. A temp whose writer has
 * died is garbage at once, so `prune` and `fsck --repair` can remove what a kill -9 left without
 * waiting; one whose writer cannot be checked from here (another boot or PID namespace) is taken
 * for abandoned once it has been idle for a minute (an atomic write takes milliseconds).
 */
import { randomBytes } from 'node:crypto';
import { currentOwner, ownerState } from './owner.ts';

/** A temp of another namespace untouched for this long has no writer left. */
export const UNCHECKABLE_IDLE_MS = 60_000;

const OWNED_TEMP = /\.w([0-9a-f]{0,8})_(\d*)_(\d+)_(\d+)\.[0-9a-f]+\.tmp$/;

function namespaceInode(pidns: string): string {
  return /\[(\d+)\]/.exec(pidns)?.[1] ?? '';
}

/** A fresh temp path beside `file` (same directory, so a rename puts it in place). */
export function ownedTempPath(file: string): string {
  const self = currentOwner();
  const tag = `w${self.boot.replace(/-/g, '').slice(0, 8)}_${namespaceInode(self.pidns)}_${self.pid}_${self.start}`;
  return `${file}.${tag}.${randomBytes(6).toString('hex')}.tmp`;
}

/**
 * Whether the writer of the temp named `name` (idle for `idleMs`) still runs; undefined when the
 * name was not made by `ownedTempPath`.
 */
export function tempWriterState(name: string, idleMs: number): 'alive' | 'dead' | undefined {
  const match = OWNED_TEMP.exec(name);
  if (!match) return undefined;
  const self = currentOwner();
  const [, boot, pidns, pid, start] = match;
  const sameNamespace =
    boot !== '' &&
    boot === self.boot.replace(/-/g, '').slice(0, 8) &&
    pidns === namespaceInode(self.pidns);
  if (!sameNamespace) return idleMs < UNCHECKABLE_IDLE_MS ? 'alive' : 'dead';
  return ownerState({ ...self, pid: Number(pid), start: Number(start) }, idleMs);
}
