/**
 * Registering an image's layers from stored blobs, base first: the layer count must match the
 * config's `rootfs.diff_ids`, each blob is described under the bomb limits and must hold exactly
 * the DiffID the config names. Registered through the load's ImageWrite (rolled back with it).
 */
import type { DecompressOptions } from '../../archive/compression/index.ts';
import type { Digest } from '../../core/digest.ts';
import { isShaleError, ShaleError } from '../../core/errors.ts';
import type { ImageWrite } from '../../store/index.ts';
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
  write: ImageWrite,
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
    await describeLayerBlob(write.store, blob, options.limits, options.signal);
    let record;
    try {
      record = await write.registerLayer(parent, blob, {
        expectedDiffId: diffIds[i],
        signal: options.signal,
      });
    } catch (err) {
      if (!isShaleError(err, 'ERR_DIGEST_MISMATCH')) throw err;
      throw new ShaleError('ERR_DIGEST_MISMATCH', `${image}: ${origin}: ${err.message}`);
    }
    parent = record.chainId;
  }
}
