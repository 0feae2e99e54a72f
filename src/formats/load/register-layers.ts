/**
 * Registering an image's layers from stored blobs, base first: the layer count must match the
 * config's `rootfs.diff_ids`, and each blob must hold exactly the DiffID the config names. A
 * plain tar is its own DiffID, checked at once; a compressed blob's DiffID is, by default, the
 * config's claim, checked by the first read that decompresses it (the policy pull follows), or
 * with `verifyDiffIds` decompressed now under the bomb limits and hashed. Registered through the
 * load's ImageWrite (rolled back with it).
 */
import type { DecompressOptions } from '../../archive/compression/index.ts';
import type { Digest } from '../../core/digest.ts';
import { isShaleError, ShaleError } from '../../core/errors.ts';
import { chainIdStep } from '../../core/ids.ts';
import type { ImageWrite } from '../../store/index.ts';
import { describeLayerBlob } from './layer-blob.ts';

export interface LayerBlob {
  blob: Digest;
  /** Where the blob came from, for messages (`manifest.json item 1 layer 2 (abc/layer.tar)`). */
  origin: string;
}

export interface RegisterLayersOptions {
  limits?: DecompressOptions;
  verifyDiffIds?: boolean;
  /**
   * Told as each layer the store does not hold yet (as a chain on its parent) is registered,
   * when it starts and when it is done; layers already held say nothing, as in Docker's load.
   */
  onLayer?: (progress: LayerLoadProgress) => void;
  signal?: AbortSignal;
}

/** How far the registration of one new layer has come: bytes of its blob, of `total`. */
export interface LayerLoadProgress {
  diffId: Digest;
  current: number;
  total: number;
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
    const done = await announce(write, parent, blob, diffIds[i]!, options.onLayer);
    let record;
    try {
      if (options.verifyDiffIds) {
        await describeLayerBlob(write.store, blob, options.limits, options.signal);
      } else await write.store.layers.claimDiffId(blob, diffIds[i]!, []);
      record = await write.registerLayer(parent, blob, {
        expectedDiffId: diffIds[i],
        signal: options.signal,
      });
    } catch (err) {
      if (!isShaleError(err, 'ERR_DIGEST_MISMATCH')) throw err;
      throw new ShaleError('ERR_DIGEST_MISMATCH', `${image}: ${origin}: ${err.message}`);
    }
    parent = record.chainId;
    done?.();
  }
}

/**
 * Tell `onLayer` that the layer `diffId` on `parent` starts, unless the store holds it already;
 * returns what tells it that the layer is done.
 */
async function announce(
  write: ImageWrite,
  parent: Digest | undefined,
  blob: Digest,
  diffId: Digest,
  onLayer: RegisterLayersOptions['onLayer'],
): Promise<(() => void) | undefined> {
  if (!onLayer || (await write.store.layers.get(chainIdStep(parent, diffId)))) return undefined;
  const total = (await write.store.content.size(blob)) ?? 0;
  onLayer({ diffId, current: 0, total });
  return () => onLayer({ diffId, current: total, total });
}
