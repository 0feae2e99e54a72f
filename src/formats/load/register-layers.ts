/**
 * Registering an image's layers from stored blobs, base first: the layer count must match the
 * config's `rootfs.diff_ids`, each blob is described under the bomb limits and must hold exactly
 * the DiffID the config names. Layers that were new are recorded in `added` for rollback.
 */
import type { DecompressOptions } from '../../archive/compression/index.ts';
import type { Digest } from '../../core/digest.ts';
import { isShaleError, ShaleError } from '../../core/errors.ts';
import { chainIdStep } from '../../core/ids.ts';
import type { Additions, Store } from '../../store/index.ts';
import { describeLayerBlob } from './layer-blob.ts';

export interface LayerBlob {
  blob: Digest;
  /** Where the blob came from, for messages (`manifest.json item 1 layer 2 (abc/layer.tar)`). */
  origin: string;
}

export interface RegisterLayersOptions {
  limits?: DecompressOptions;
  signal?: AbortSignal;
}

/** Register `layers` as the chain of `diffIds`; `image` names the image in messages. */
export async function registerLayers(
  store: Store,
  added: Additions,
  image: string,
  layers: LayerBlob[],
  diffIds: readonly Digest[],
  options: RegisterLayersOptions = {},
): Promise<void> {
  if (layers.length !== diffIds.length) {
    throw new ShaleError(
      'ERR_INVALID_ARGUMENT',
      `${image}: ${layers.length} layers given but its config lists ${diffIds.length} diff_ids`,
    );
  }
  let parent: Digest | undefined;
  for (const [i, { blob, origin }] of layers.entries()) {
    await describeLayerBlob(store, blob, options.limits, options.signal);
    const existed = await store.layers.get(chainIdStep(parent, diffIds[i]!));
    let record;
    try {
      record = await store.layers.registerBlob(parent, blob, {
        expectedDiffId: diffIds[i],
        signal: options.signal,
      });
    } catch (err) {
      if (!isShaleError(err, 'ERR_DIGEST_MISMATCH')) throw err;
      throw new ShaleError('ERR_DIGEST_MISMATCH', `${image}: ${origin}: ${err.message}`);
    }
    if (!existed) added.layers.push(record.chainId);
    parent = record.chainId;
  }
}
