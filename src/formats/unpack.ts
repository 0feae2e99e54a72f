/**
 * `unpack`: an image's root filesystem written into a directory (absent or empty) as private
 * files, by applying each layer blob in order with the secure applier.
 */
import { mkdir, readdir } from 'node:fs/promises';
import { applyLayerBlob, type ApplyWarning } from '../archive/apply/index.ts';
import type { Digest } from '../core/digest.ts';
import { ShaleError } from '../core/errors.ts';
import type { Store } from '../store/index.ts';

export interface UnpackOptions {
  onWarning?: (warning: ApplyWarning) => void;
  signal?: AbortSignal;
}

async function ensureEmptyDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  if ((await readdir(dir)).length > 0) {
    throw new ShaleError(
      'ERR_INVALID_ARGUMENT',
      `${dir} is not empty; unpack needs an absent or empty directory`,
    );
  }
}

/** Write the rootfs of image `id` into `dir`. */
export async function unpackImage(
  store: Store,
  id: Digest,
  dir: string,
  options: UnpackOptions = {},
): Promise<void> {
  const record = await store.images.get(id);
  if (!record) throw new ShaleError('ERR_NOT_FOUND', `no such image: ${id}`);
  await ensureEmptyDir(dir);
  if (!record.topLayer) return;
  for (const layer of await store.layers.chain(record.topLayer)) {
    const [blob] = await store.layers.blobsOf(layer.diffId);
    if (!blob) throw new ShaleError('ERR_NOT_FOUND', `layer ${layer.diffId} has no stored blob`);
    await applyLayerBlob(dir, store.content.open(blob), {
      onWarning: options.onWarning,
      signal: options.signal,
    });
  }
}
