/**
 * Who holds a lock, a lease or a scratch directory, and whether that holder still runs. An owner
 * is a process named so that it cannot be confused with another: host, boot, PID namespace, PID
 * and the process's start time (so a recycled PID is a different owner). Where the PID cannot be
 * checked — another host, boot or PID namespace — the holder's heartbeat (the mtime of the file
 * it holds, refreshed every HEARTBEAT_MS) is the only proof of life.
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import * as z from '../core/zod.ts';

export interface Owner {
  host: string;
  boot: string;
  /** The PID namespace, as `readlink /proc/self/ns/pid` names it (`pid:[4026531836]`). */
  pidns: string;
  pid: number;
  /** Field 22 of /proc/<pid>/stat: clock ticks from boot to the process's start. */
  start: number;
}

export const ownerSchema = z.object({
  host: z.string(),
  boot: z.string(),
  pidns: z.string(),
  pid: z.number().check(z.int()),
  start: z.number(),
});

/** How often a holder refreshes the mtime of what it holds. */
export const HEARTBEAT_MS = 1000;
/** A holder that cannot be checked by PID and has not heartbeated for this long is dead. */
export const STALE_HEARTBEAT_MS = 10_000;

/** Start time of `/proc/<pid>`, or undefined when no such process exists. */
function startTimeOf(pid: number | 'self'): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: fields are counted after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const start = Number(fields[22 - 3]);
  return Number.isSafeInteger(start) ? start : undefined;
}

function readOr(read: () => string, fallback: string): string {
  try {
    return read().trim();
  } catch {
    return fallback;
  }
}

let current: Owner | undefined;

/** This process. Without /proc, boot and pidns are empty and only heartbeats prove liveness. */
export function currentOwner(): Owner {
  current ??= {
    host: hostname(),
    boot: readOr(() => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8'), ''),
    pidns: readOr(() => readlinkSync('/proc/self/ns/pid'), ''),
    // The PID as the mounted /proc numbers it (it differs from getpid() in a PID namespace that
    // kept its parent's /proc), since that is where other processes look it up.
    pid: Number(readOr(() => readlinkSync('/proc/self'), String(process.pid))),
    start: startTimeOf('self') ?? 0,
  };
  return current;
}

/** True when `owner`'s PID can be looked up in this process's /proc. */
function checkableByPid(owner: Owner): boolean {
  const self = currentOwner();
  return (
    self.boot !== '' &&
    self.pidns !== '' &&
    owner.host === self.host &&
    owner.boot === self.boot &&
    owner.pidns === self.pidns
  );
}

/**
 * Whether `owner` still runs: by its PID and start time when it shares this host, boot and PID
 * namespace; otherwise by its heartbeat, last seen `heartbeatAgeMs` ago.
 */
export function ownerState(owner: Owner, heartbeatAgeMs: number): 'alive' | 'dead' {
  if (checkableByPid(owner)) return startTimeOf(owner.pid) === owner.start ? 'alive' : 'dead';
  return heartbeatAgeMs < STALE_HEARTBEAT_MS ? 'alive' : 'dead';
}

/**
 * Refresh `file`'s mtime every HEARTBEAT_MS (without keeping the process alive) until the
 * returned function is called. A failed refresh (the file is gone) is not an error.
 */
export function startHeartbeat(file: string): () => void {
  const timer = setInterval(() => {
    const now = new Date();
    utimes(file, now, now).catch(() => undefined);
  }, HEARTBEAT_MS);
  timer.unref();
  return () => clearInterval(timer);
}
