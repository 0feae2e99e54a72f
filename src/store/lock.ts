/**
 * Cross-process locks on the store's mutable metadata (references, index.json): a lock
 * directory beside the data (proper-lockfile), retried briefly, stale after 10 s without a
 * heartbeat so a killed process cannot wedge the store.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { ShaleError } from '../core/errors.ts';
import type { StoreLayout } from './layout.ts';

/** Run `fn` while holding the store lock called `name`. */
export async function withLock<T>(
  layout: StoreLayout,
  name: string,
  fn: () => Promise<T>,
): Promise<T> {
  const dir = path.join(layout.metaDir, 'locks');
  await mkdir(dir, { recursive: true });
  const target = path.join(dir, name);
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(target, {
      realpath: false,
      stale: 10_000,
      retries: { retries: 100, minTimeout: 10, maxTimeout: 250, randomize: true },
    });
  } catch (err) {
    throw new ShaleError(
      'ERR_LIMIT',
      `the store is busy (lock ${name} held by another shale process); try again`,
      { cause: err },
    );
  }
  try {
    return await fn();
  } finally {
    await release();
  }
}
