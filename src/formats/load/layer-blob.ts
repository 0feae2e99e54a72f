/**
 * What a loaded layer blob holds (DiffID, compression, uncompressed size), learnt under the load's
 * decompression-bomb limits before the layer store is asked to register it. An uncompressed sha256
 * blob is its own DiffID; anything else is decompressed once, with the limits, and hashed.
 */
import { open } from 'node:fs/promises';
import { computeDiffId } from '../../archive/diffid.ts';
import { sniffCompression, type DecompressOptions } from '../../archive/compression/index.ts';
import { parseDigest, type Digest } from '../../core/digest.ts';
import type { Store } from '../../store/index.ts';

/**
 * Default bomb guard of loads: no stream may expand more than 1000:1 (gzip itself tops out near
 * 1030:1, so only degenerate content or a bomb comes close).
 */
export const DEFAULT_LOAD_LIMITS: DecompressOptions = { maxRatio: 1000 };

async function headOf(store: Store, blob: Digest): Promise<Buffer> {
  const handle = await open(store.content.blobPath(blob), 'r');
  try {
    const head = Buffer.alloc(16);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return head.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** Record the DiffID of a stored layer blob unless the store knows it already. */
export async function describeLayerBlob(
  store: Store,
  blob: Digest,
  limits: DecompressOptions = DEFAULT_LOAD_LIMITS,
  signal?: AbortSignal,
): Promise<void> {
  if (await store.layers.blobInfo(blob)) return;
  const compression = sniffCompression(await headOf(store, blob));
  if (compression === 'none' && parseDigest(blob).algorithm === 'sha256') {
    const size = (await store.content.size(blob)) ?? 0;
    await store.layers.recordBlobInfo(blob, { diffId: blob, compression, uncompressedSize: size });
    return;
  }
  const { diffId, size } = await computeDiffId(store.content.open(blob), signal, limits);
  await store.layers.recordBlobInfo(blob, { diffId, compression, uncompressedSize: size });
}
