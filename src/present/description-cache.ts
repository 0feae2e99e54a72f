/**
 * Image descriptions kept between listings by a long-running process (`shale serve`), so that
 * `docker images` over a store of thousands of images reads one file status per image instead of
 * its record, config and layers. A description is reused while the image's record file is the
 * same file, unchanged (an image's config and layers never change; what does — its parent, its
 * tag time, its manifest — is written into its record); references are applied fresh each time.
 * Legacy IDs, which listings do not show, are as they were when the image was first described.
 */
import { statSync } from 'node:fs';
import type { Digest } from '../core/index.ts';
import { fileStamp, type Store } from '../store/index.ts';
import { describeStoredImage, type ImageInspect } from './describe.ts';

export class DescriptionCache {
  private readonly entries = new Map<Digest, { stamp: string; image: ImageInspect }>();

  /** The image's description (without references), from the cache when its record is unchanged. */
  async describe(store: Store, id: Digest): Promise<ImageInspect> {
    // Synchronously: a thousand asynchronous stats queue on the thread pool for far longer.
    const st = statSync(store.images.recordFile(id), { throwIfNoEntry: false });
    const stamp = st && fileStamp(st);
    const kept = this.entries.get(id);
    if (stamp !== undefined && kept?.stamp === stamp) return kept.image;
    const image = await describeStoredImage(store, id);
    if (stamp !== undefined) this.entries.set(id, { stamp, image });
    else this.entries.delete(id);
    return image;
  }

  /** Forget the images not in `ids` (those removed since). */
  retain(ids: readonly Digest[]): void {
    const kept = new Set(ids);
    for (const id of this.entries.keys()) if (!kept.has(id)) this.entries.delete(id);
  }
}
