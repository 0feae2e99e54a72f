/**
 * Leases protect work in progress from garbage collection: a load or pull holds one while it
 * writes, and prune leaves alone every blob and layer written (or reused, which touches it) since
 * the oldest live lease began. A lease whose process has died no longer counts.
 */
import { randomBytes } from 'node:crypto';
import { readdir, rm, utimes } from 'node:fs/promises';
import path from 'node:path';
import * as z from '../core/zod.ts';
import { readJsonFile, writeJsonAtomic } from './json-file.ts';
import type { StoreLayout } from './layout.ts';

const leaseSchema = z.object({ pid: z.number().check(z.int()), started: z.number() });

function leasesDir(layout: StoreLayout): string {
  return path.join(layout.metaDir, 'leases');
}

/** True while process `pid` exists (EPERM: it exists but is not ours to signal). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Run `fn` under a lease. */
export async function withLease<T>(layout: StoreLayout, fn: () => Promise<T>): Promise<T> {
  const file = path.join(
    leasesDir(layout),
    `${process.pid}-${randomBytes(6).toString('hex')}.json`,
  );
  // A second earlier than now, so that file times rounded by the filesystem stay inside the lease.
  await writeJsonAtomic(file, { pid: process.pid, started: Date.now() - 1000 });
  try {
    return await fn();
  } finally {
    await rm(file, { force: true });
  }
}

/** Start time (ms) of the oldest live lease, or undefined when none is held. */
export async function oldestLiveLease(layout: StoreLayout): Promise<number | undefined> {
  let names: string[];
  try {
    names = await readdir(leasesDir(layout));
  } catch {
    return undefined;
  }
  let oldest: number | undefined;
  for (const name of names) {
    if (!name.endsWith('.json')) continue;
    const parsed = leaseSchema.safeParse(
      await readJsonFile(path.join(leasesDir(layout), name)).catch(() => undefined),
    );
    if (!parsed.success) continue;
    if (!processAlive(parsed.data.pid)) {
      await rm(path.join(leasesDir(layout), name), { force: true });
      continue;
    }
    oldest = oldest === undefined ? parsed.data.started : Math.min(oldest, parsed.data.started);
  }
  return oldest;
}

/** Mark an existing file as used now (a reused blob under a lease). */
export async function touch(file: string): Promise<void> {
  const now = new Date();
  await utimes(file, now, now).catch(() => undefined);
}
