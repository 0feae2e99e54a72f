/**
 * `unpack`: an image's root filesystem written into a directory (absent or empty) as private
 * files, by applying each layer blob in order with the secure applier. Each layer's read is
 * verified (blob digest, DiffID) by the layer store. An unpack that fails — a damaged blob
 * included — takes back what it wrote (the directory is left as it was found: absent or empty).
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { ApplyWarning } from '../archive/apply/index.ts';
import type { Digest } from '../core/digest.ts';
import { ShaleError } from '../core/errors.ts';
import type { Store } from '../store/index.ts';

export interface UnpackOptions {
  onWarning?: (warning: ApplyWarning) => void;
  signal?: AbortSignal;
}

/** Make `dir` exist, empty; returns the topmost directory this created (to remove on failure). */
async function ensureEmptyDir(dir: string): Promise<string | undefined> {
  const notEmpty = (what: string) =>
    new ShaleError('ERR_INVALID_ARGUMENT', `${dir} ${what}: give an absent or empty directory`);
  let created;
  try {
    created = await mkdir(dir, { recursive: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw notEmpty('is not a directory');
    throw err;
  }
  if ((await readdir(dir)).length > 0) throw notEmpty('is not empty');
  return created;
}

async function restore(dir: string, created: string | undefined): Promise<void> {
  if (created !== undefined) return rm(created, { recursive: true, force: true });
  for (const name of await readdir(dir)) await rm(path.join(dir, name), { recursive: true });
}

/** Write the rootfs of image `id` into `dir`. */
export async function unpackImage(
  store: Store,
  id: Digest,
  dir: string,
  options: UnpackOptions = {},
): Promise<void> {
  const { record } = await store.images.open(id); // refuses a record its config contradicts
  const layers = record.topLayer ? await store.layers.chain(record.topLayer) : [];
  const created = await ensureEmptyDir(dir);
  try {
    for (const layer of layers) {
      await store.layers.applyLayer(layer.diffId, dir, {
        onWarning: options.onWarning,
        signal: options.signal,
      });
    }
  } catch (err) {
    await restore(dir, created);
    throw err;
  }
}
