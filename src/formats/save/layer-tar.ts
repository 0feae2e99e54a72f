/**
 * A layer as the uncompressed tar its DiffID names, streamed from whichever stored blob holds it
 * (the plain tar when there is one, else a compressed blob decompressed as recorded) and verified
 * as it goes: a stream that does not hash to the DiffID, or whose blob does not hash to its name,
 * fails at its end.
 */
import type { Digest } from '../../core/digest.ts';
import { ShaleError } from '../../core/errors.ts';
import type { LayerRecord, Store } from '../../store/index.ts';

/**
 * The layers of `image` ready to stream, with exact sizes (an archive states them before the bytes): a layer
 * a pull stored with its DiffID only claimed is read through and checked now, so a save fails
 * before writing anything.
 */
export async function imageLayerTars(
  store: Store,
  image: Digest,
  signal?: AbortSignal,
): Promise<LayerRecord[]> {
  const { record } = await store.images.open(image); // refuses a record its config contradicts
  const ready: LayerRecord[] = [];
  for (const layer of record.topLayer ? await store.layers.chain(record.topLayer) : []) {
    await store.layers.verifyLayer(layer.diffId, signal);
    ready.push(layer.unverified ? ((await store.layers.get(layer.chainId)) ?? layer) : layer);
  }
  return ready;
}

/**
 * The uncompressed tar of `layer`: exactly `layer.tarSize` bytes, hashing to `layer.diffId` (the
 * layer store's read verifies that, and the blob, as it streams; this counts the bytes).
 */
export async function* layerTar(
  store: Store,
  layer: LayerRecord,
  signal?: AbortSignal,
): AsyncGenerator<Uint8Array> {
  const stream = await store.layers.openDiff(layer.diffId, signal);
  let size = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      signal?.throwIfAborted();
      size += chunk.length;
      yield chunk;
    }
  } finally {
    stream.destroy();
  }
  if (size !== layer.tarSize) {
    throw new ShaleError(
      'ERR_SIZE_MISMATCH',
      `stored layer ${layer.diffId} reads back as ${size} bytes, its record says ${layer.tarSize}: run 'shale fsck --repair'`,
    );
  }
}
