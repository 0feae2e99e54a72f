/**
 * The legacy (v1) identity of a schema1 pull (spec §3.2–3.4): every history entry of the manifest
 * gets its strong ID (or, when an image already stored under the remote legacy ID validates, that
 * ID; when a computed ID is taken by something that does not validate, the next probe), recorded
 * in the store's legacy index with its MakeImageConfig JSON, v1Compatibility and blob checksum.
 * The choice is made again here, under the legacy lock, after the layers were fetched: the plan
 * schema1-reuse.ts made before fetching (which layers to take from the store) held no lock.
 */
import { chainIdStep } from '../../core/ids.ts';
import { findReusableOrFreeId, isThrowaway, type Schema1Manifest } from '../../legacy/index.ts';
import type { Digest } from '../../core/digest.ts';
import type { Store } from '../../store/index.ts';
import { schema1StrongIds } from './schema1-reuse.ts';

const utf8 = new TextEncoder();

/** Record the legacy IDs of `manifest` (fixed, verified) for the pulled image `image`. */
export async function recordSchema1LegacyIds(
  store: Store,
  manifest: Schema1Manifest,
  image: Digest,
  diffIds: readonly Digest[],
): Promise<string[]> {
  const links = schema1StrongIds(manifest);
  // The layer (ChainID) each position ends with, base first; throwaways add none.
  const layers: (Digest | undefined)[] = [];
  let chain: Digest | undefined;
  let next = 0;
  for (let i = manifest.history.length - 1; i >= 0; i--) {
    if (!isThrowaway(manifest.history[i]!.v1Compatibility))
      chain = chainIdStep(chain, diffIds[next++]!);
    layers[i] = chain;
  }
  return store.legacy.withLock(async () => {
    const chosen = await findReusableOrFreeId(store.legacy, links);
    for (let i = chosen.length - 1; i >= 0; i--) {
      const { id, parent, exists } = chosen[i]!;
      const layer = layers[i];
      if (exists || layer === undefined) continue;
      await store.legacy.add({
        id,
        ...(parent !== undefined && { parent }),
        layer,
        image,
        json: links[i]!.config,
        v1Compatibility: utf8.encode(manifest.history[i]!.v1Compatibility),
        checksum: manifest.fsLayers[i]!.blobSum,
      });
    }
    return chosen.map((c) => c.id);
  });
}
