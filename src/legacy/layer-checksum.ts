/**
 * Checksums the seed's way (spec §2.4): a layer's TarSum v1 is computed from the stored layer the
 * first time something needs it and recorded on the layer, and a legacy image's checksum file is
 * filled from it when it has none.
 */
import { tarsum } from '../archive/tarsum/index.ts';
import type { Digest } from '../core/digest.ts';
import { ShaleError } from '../core/errors.ts';
import type { Store } from '../store/store.ts';

/** The TarSum v1 of a registered layer, computed once and then read from its record. */
export async function ensureLayerTarsum(store: Store, chainId: Digest): Promise<string> {
  const layer = await store.layers.get(chainId);
  if (!layer) throw new ShaleError('ERR_NOT_FOUND', `layer ${chainId} is not in the store`);
  if (layer.tarsum !== undefined) return layer.tarsum;
  const stream = await store.layers.openDiff(layer.diffId);
  let checksum: string;
  try {
    checksum = await tarsum(stream, { version: 'v1' });
  } finally {
    stream.destroy();
  }
  await store.layers.setTarsum(chainId, checksum);
  return checksum;
}

/** The checksum file of legacy image `id`, filled from its layer's TarSum v1 when missing. */
export async function ensureLegacyChecksum(store: Store, id: string): Promise<string> {
  const known = await store.legacy.checksum(id);
  if (known !== undefined) return known;
  const entry = await store.legacy.get(id);
  if (!entry) throw new ShaleError('ERR_NOT_FOUND', `legacy image ${id} is not in the store`);
  const checksum = await ensureLayerTarsum(store, entry.layer);
  await store.legacy.setChecksum(id, checksum);
  return checksum;
}
