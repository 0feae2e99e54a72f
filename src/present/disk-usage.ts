/**
 * Sizes across images, as dockerd 20.10 counts them for `docker system df` (`GET /system/df`) and
 * `GET /images/json?shared-size=1`: an image's `SharedSize` is the size of its layers that another
 * image of the same listing also uses; `LayersSize` is the content size of every layer some image
 * in the store uses, each counted once. `Containers` is 0: shale runs none.
 */
import type { Digest } from '../core/digest.ts';
import type { LayerRecord, Store } from '../store/index.ts';
import { listImageDetails, type ImageInspect } from './describe.ts';
import { engineImageSummary, type EngineImageSummary } from './engine.ts';

export interface ImageDiskUsage {
  LayersSize: number;
  Images: EngineImageSummary[];
}

/** The layers of an image's chain, base first (none for an image without layers). */
async function chainOf(store: Store, id: Digest): Promise<LayerRecord[]> {
  const top = (await store.images.get(id))?.topLayer;
  return top ? store.layers.chain(top) : [];
}

/** Each image's shared size within `images` (same order). */
export async function sharedSizes(
  store: Store,
  images: readonly ImageInspect[],
): Promise<number[]> {
  const chains = await Promise.all(images.map((image) => chainOf(store, image.Id)));
  const users = new Map<Digest, number>();
  for (const chain of chains)
    for (const layer of chain) users.set(layer.chainId, (users.get(layer.chainId) ?? 0) + 1);
  const sizes: number[] = [];
  for (const chain of chains) {
    let shared = 0;
    for (const layer of chain)
      if ((users.get(layer.chainId) ?? 0) > 1) shared += await store.layers.contentSize(layer);
    sizes.push(shared);
  }
  return sizes;
}

/** The content size of every layer that some image of the store uses, each once. */
async function layersSize(store: Store): Promise<number> {
  const counted = new Set<Digest>();
  let total = 0;
  for (const id of await store.images.ids())
    for (const layer of await chainOf(store, id)) {
      if (counted.has(layer.chainId)) continue;
      counted.add(layer.chainId);
      total += await store.layers.contentSize(layer);
    }
  return total;
}

/** The images part of `GET /system/df`, in the Engine API `version`'s shape. */
export async function imageDiskUsage(store: Store, version: string): Promise<ImageDiskUsage> {
  const listed = await listImageDetails(store);
  const shared = await sharedSizes(store, listed);
  return {
    LayersSize: await layersSize(store),
    Images: listed.map((image, i) => ({
      ...engineImageSummary(image, version, shared[i]),
      Containers: 0,
    })),
  };
}
