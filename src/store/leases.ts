/**
 * Leases protect work in progress from garbage collection: a load or pull holds one while it
 * writes, and prune leaves alone every blob and layer written (or reused, which touches it) since
 * the oldest live lease began. A lease is a file under `shale/leases/` naming its owner (see
 * owner.ts) and heartbeated while held; a lease whose owner has died no longer counts.
 */
import { randomBytes } from 'node:crypto';
import { readdir, readFile, rm, stat, utimes } from 'node:fs/promises';
import path from 'node:path';
import * as z from '../core/zod.ts';
import { writeJsonAtomic } from './json-file.ts';
import type { StoreLayout } from './layout.ts';
import { currentOwner, ownerSchema, ownerState, startHeartbeat } from './owner.ts';

export interface Lease {
  readonly id: string;
  /** When the lease began (ms since the epoch). */
  readonly started: number;
}

const leaseSchema = z.extend(ownerSchema, { started: z.number() });

function leasesDir(layout: StoreLayout): string {
  return path.join(layout.metaDir, 'leases');
}

/** Run `fn` under a lease. */
export async function withLease<T>(
  layout: StoreLayout,
  fn: (lease: Lease) => Promise<T>,
): Promise<T> {
  const owner = currentOwner();
  const lease: Lease = {
    id: `${owner.pid}-${randomBytes(6).toString('hex')}`,
    // A second earlier than now, so that file times rounded by the filesystem stay inside the lease.
    started: Date.now() - 1000,
  };
  const file = path.join(leasesDir(layout), `${lease.id}.json`);
  await writeJsonAtomic(file, { ...owner, started: lease.started });
  const stopHeartbeat = startHeartbeat(file);
  try {
    return await fn(lease);
  } finally {
    stopHeartbeat();
    await rm(file, { force: true });
  }
}

/** The start of the lease in `file` if its owner is alive; undefined (and the file removed) if not. */
async function liveLeaseStart(file: string): Promise<number | undefined> {
  let mtimeMs: number;
  let text: string;
  try {
    ({ mtimeMs } = await stat(file));
    text = await readFile(file, 'utf8');
  } catch {
    return undefined; // released meanwhile
  }
  let parsed;
  try {
    parsed = leaseSchema.safeParse(JSON.parse(text));
  } catch {
    parsed = undefined;
  }
  const age = Math.max(0, Date.now() - mtimeMs);
  if (parsed?.success && ownerState(parsed.data, age) === 'alive') return parsed.data.started;
  // Dead, or not a lease this version writes (leases are written whole, so not one in progress).
  await rm(file, { force: true });
  return undefined;
}

/**
 * Start time (ms) of the oldest live lease, or undefined when none is held. `except` (the
 * caller's own lease) is not counted.
 */
export async function oldestLiveLease(
  layout: StoreLayout,
  options: { except?: Lease } = {},
): Promise<number | undefined> {
  let names: string[];
  try {
    names = await readdir(leasesDir(layout));
  } catch {
    return undefined;
  }
  let oldest: number | undefined;
  for (const name of names) {
    if (!name.endsWith('.json') || name === `${options.except?.id}.json`) continue;
    const started = await liveLeaseStart(path.join(leasesDir(layout), name));
    if (started !== undefined) oldest = Math.min(oldest ?? started, started);
  }
  return oldest;
}

/** Mark an existing file as used now (a reused blob under a lease). */
export async function touch(file: string): Promise<void> {
  const now = new Date();
  await utimes(file, now, now).catch(() => undefined);
}
