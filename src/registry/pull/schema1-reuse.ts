/**
 * Which layers of a schema1 pull the store already has under a legacy ID (spec §3.4–3.5): the
 * strong-ID chain is computed and IDs are chosen as attemptIDReuse does, before anything is
 * fetched; every position, from the base up, whose chosen ID exists and validates is "Already
 * exists" and its layer is taken from the store (the legacy entry's ChainID → DiffID → a stored
 * blob) instead of being downloaded. Reuse stops at the first position that does not validate (or
 * whose stored layer does not sit on the chain built so far): that layer and every one above it
 * are downloaded. The choice made here is only a plan; the IDs are chosen again under the legacy
 * lock when they are recorded (legacy-ids.ts), so no lock is held over the downloads.
 */
import {
  findReusableOrFreeId,
  isThrowaway,
  strongIdChain,
  type Schema1Manifest,
  type StrongIdLink,
} from '../../legacy/index.ts';
import type { Digest } from '../../core/digest.ts';
import { isShaleError } from '../../core/errors.ts';
import { touch, type Store } from '../../store/index.ts';
import type { LayerSource } from './layers.ts';

const utf8 = new TextEncoder();

/** The strong-ID chain of a fixed, verified schema1 manifest (manifest order, top first). */
export function schema1StrongIds(manifest: Schema1Manifest): StrongIdLink[] {
  return strongIdChain(
    manifest.fsLayers.map((layer, i) => ({
      blobSum: layer.blobSum,
      v1Compatibility: utf8.encode(manifest.history[i]!.v1Compatibility),
    })),
  );
}

/**
 * The stored layers that stand for the lowest non-throwaway layers of `manifest`, base first:
 * entry k is the layer for the k-th blob of `schema1LayersToFetch`. Shorter than that list (often
 * empty) when some layer must be downloaded.
 */
export async function reusableSchema1Layers(
  store: Store,
  manifest: Schema1Manifest,
): Promise<LayerSource[]> {
  const chosen = await findReusableOrFreeId(store.legacy, schema1StrongIds(manifest));
  const reused: LayerSource[] = [];
  let chain: Digest | undefined; // the ChainID of the layers reused so far
  for (let i = manifest.history.length - 1; i >= 0; i--) {
    const { id, exists } = chosen[i]!;
    if (!exists) break;
    const entry = await store.legacy.get(id);
    if (!entry) break;
    if (isThrowaway(manifest.history[i]!.v1Compatibility)) {
      // No layer of its own: it must end with the layer below it.
      if (entry.layer !== chain) break;
      continue;
    }
    const layer = await store.layers.get(entry.layer);
    if (!layer || layer.parent !== chain) break;
    const source = await storedBlobOf(store, layer.diffId);
    if (!source) break;
    reused.push(source);
    chain = layer.chainId;
  }
  return reused;
}

/** The stored blob layer `diffId` is best read from, kept out of a concurrent prune. */
async function storedBlobOf(store: Store, diffId: Digest): Promise<LayerSource | undefined> {
  const picked = await store.layers.pickBlob(diffId).catch((err: unknown) => {
    if (isShaleError(err, 'ERR_NOT_FOUND')) return undefined;
    throw err;
  });
  if (!picked) return undefined;
  await touch(store.content.blobPath(picked.digest));
  return { blob: picked.digest, diffId, info: picked.info };
}
