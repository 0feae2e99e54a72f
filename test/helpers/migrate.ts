// Interrupting `shale migrate` (the library call) after its first image, and finishing it, for the
// tests that show a migration resumes where it stopped.
import assert from 'node:assert/strict';
import { migrateDockerRoot, type MigratedLegacyImage } from '../../src/legacy/migrate/index.ts';
import type { Store } from '../../src/store/index.ts';

/** Migrate `graph` into `store`, aborted once the first image is in: one legacy image remains, and stays alone. */
export async function migrateFirstImageOnly(store: Store, graph: string): Promise<void> {
  const stop = new AbortController();
  await assert.rejects(
    migrateDockerRoot(store, graph, { signal: stop.signal, onImage: () => stop.abort() }),
    (err: Error) => err.name === 'AbortError',
  );
  assert.equal((await store.legacy.ids()).length, 1);
  // nothing it began goes on after it settled (an image begun ahead is rolled back, not finished)
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal((await store.legacy.ids()).length, 1, 'a migration went on after it settled');
}

/** Migrate `graph` to the end (nothing may fail); the images as it reported them, and its result. */
export async function migrateToEnd(store: Store, graph: string) {
  const seen: MigratedLegacyImage[] = [];
  const result = await migrateDockerRoot(store, graph, { onImage: (i) => seen.push(i) });
  assert.deepEqual(result.failed, []);
  return { seen, result };
}
