/**
 * The legacy IDs an image already has — from a schema1 pull, a legacy load or a migration — as
 * the chain of v1 images a legacy save writes under them: one stored legacy image per history
 * entry, base first, each ending with the layer that entry leaves on top (an empty entry: the same
 * layer as the one below). The CreateID IDs a 1.10+ archive load records are not such an identity
 * (they are derived, one per layer, their lower images empty) and are not used.
 */
import type { Digest } from '../../core/digest.ts';
import { chainIdStep } from '../../core/ids.ts';
import type { HistoryEntry, ImageConfig, ParsedImageConfig } from '../../core/image-config.ts';
import { legacySaveLayers } from '../../legacy/index.ts';
import type { LegacyEntry, Store } from '../../store/index.ts';

/** The ChainID each history entry leaves on top, base first (undefined before any layer). */
export function historyChainIds(config: ImageConfig): (Digest | undefined)[] {
  const diffIds = config.rootfs.diff_ids;
  const history: HistoryEntry[] = config.history?.length ? config.history : diffIds.map(() => ({}));
  let chain: Digest | undefined;
  let next = 0;
  return history.map((entry) =>
    entry.empty_layer === true ? chain : (chain = chainIdStep(chain, diffIds[next++]!)),
  );
}

/** The chain below and including `top` when it matches `positions` entry for entry. */
async function chainFrom(
  store: Store,
  top: LegacyEntry,
  positions: readonly (Digest | undefined)[],
): Promise<LegacyEntry[] | undefined> {
  const chain: LegacyEntry[] = [];
  let entry: LegacyEntry | undefined = top;
  for (let i = positions.length - 1; i >= 0; i--) {
    if (!entry || entry.layer !== positions[i]) return undefined;
    chain.unshift(entry);
    entry = entry.parent === undefined ? undefined : await store.legacy.get(entry.parent);
  }
  return chain[0]!.parent === undefined ? chain : undefined;
}

/** True when `chain` is what `docker save` derives for the image (recorded by a 1.10+ load). */
function isCreateIdChain(chain: readonly LegacyEntry[], config: Uint8Array, diffIds: Digest[]) {
  if (chain.length !== diffIds.length) return false;
  return legacySaveLayers(config, diffIds).every(({ id }, i) => chain[i]!.id === id);
}

/** The stored legacy images of `image`, base first, when it has them. */
export async function storedLegacyChain(
  store: Store,
  image: ParsedImageConfig,
): Promise<LegacyEntry[] | undefined> {
  const positions = historyChainIds(image.config);
  const top = positions[positions.length - 1];
  if (top === undefined) return undefined;
  for (const start of await store.legacy.entriesOf(image.id)) {
    if (start.layer !== top) continue;
    const chain = await chainFrom(store, start, positions);
    if (chain && !isCreateIdChain(chain, image.bytes, image.config.rootfs.diff_ids)) return chain;
  }
  return undefined;
}
