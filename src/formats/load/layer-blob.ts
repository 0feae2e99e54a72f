/**
 * What a loaded layer blob holds (DiffID, compression, uncompressed size), learnt under the load's
 * decompression-bomb limits before the layer store is asked to register it. An uncompressed sha256
 * blob is its own DiffID; anything else is decompressed once, with the limits, and hashed.
 */
import { computeDiffId } from '../../archive/diffid.ts';
import type { DecompressOptions } from '../../archive/compression/index.ts';
import { parseDigest, type Digest } from '../../core/digest.ts';
import { storedBlobFacts, type Store } from '../../store/index.ts';

/** Record the DiffID of a stored layer blob unless the store knows it already. */
export async function describeLayerBlob(
  store: Store,
  blob: Digest,
  limits?: DecompressOptions,
  signal?: AbortSignal,
): Promise<void> {
  if (await store.layers.blobInfo(blob)) return;
  const { compression, size } = await storedBlobFacts(store.content.blobPath(blob));
  if (compression === 'none' && parseDigest(blob).algorithm === 'sha256') {
    await store.layers.recordBlobInfo(blob, { diffId: blob, compression, uncompressedSize: size });
    return;
  }
  const {
    diffId,
    size: uncompressedSize,
    contentSize,
  } = await computeDiffId(store.content.open(blob), { signal, limits, countContent: true });
  await store.layers.recordBlobInfo(blob, { diffId, compression, uncompressedSize, contentSize });
}
