/**
 * A layer as the uncompressed tar its DiffID names, streamed from whichever stored blob holds it
 * (the plain tar when there is one, else a compressed blob decompressed as recorded) and verified
 * as it goes: a stream that does not hash to the DiffID fails at its end.
 */
import { createHash } from 'node:crypto';
import { decompressStream } from '../../archive/compression/index.ts';
import { digestOf } from '../../core/digest.ts';
import { ShaleError } from '../../core/errors.ts';
import { pickLayerBlob, type LayerRecord, type Store } from '../../store/index.ts';

/** Check up front that every layer can be streamed (so a save fails before writing anything). */
export async function checkLayerBlobs(store: Store, layers: readonly LayerRecord[]): Promise<void> {
  for (const layer of layers) await pickLayerBlob(store, layer.diffId);
}

/** The uncompressed tar of `layer` (exactly `layer.size` bytes, hashing to `layer.diffId`). */
export async function* layerTar(
  store: Store,
  layer: LayerRecord,
  signal?: AbortSignal,
): AsyncGenerator<Uint8Array> {
  const { digest, compression } = await pickLayerBlob(store, layer.diffId);
  const blob = store.content.open(digest);
  const stream = compression === 'none' ? blob : decompressStream(blob, compression);
  const hash = createHash('sha256');
  let size = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      signal?.throwIfAborted();
      hash.update(chunk);
      size += chunk.length;
      yield chunk;
    }
  } finally {
    stream.destroy();
  }
  const actual = digestOf('sha256', hash.digest('hex'));
  if (actual !== layer.diffId || size !== layer.size) {
    throw new ShaleError(
      'ERR_DIGEST_MISMATCH',
      `stored layer ${layer.diffId} reads back as ${actual} (${size} bytes): the store is damaged`,
    );
  }
}
