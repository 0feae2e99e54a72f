/**
 * Removing images and collecting garbage. Nothing is reference-counted on disk (counts could
 * drift when a process dies); instead what is live is recomputed from the images: their config
 * and manifest blobs, their layer chains and every blob of those layers. Everything else is
 * garbage, except what a live lease protects (see leases.ts). Legacy IDs of removed images go too.
 */
import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Digest } from '../core/digest.ts';
import { ShaleError } from '../core/errors.ts';
import { parseDockerRef } from '../core/reference.ts';
import { resolveImage } from './describe.ts';
import { oldestLiveLease } from './leases.ts';
import type { Store } from './store.ts';

export interface Freed {
  images: Digest[];
  layers: Digest[];
  blobs: Digest[];
  /** Bytes of the removed blobs. */
  bytes: number;
}

/** Partial downloads untouched for this long are removed by prune. */
export const INGEST_EXPIRY_MS = 24 * 60 * 60 * 1000;

async function modifiedAt(file: string): Promise<number | undefined> {
  try {
    return (await stat(file)).mtimeMs;
  } catch {
    return undefined;
  }
}

async function liveSets(
  store: Store,
  excluding: ReadonlySet<Digest>,
): Promise<{ layers: Set<Digest>; blobs: Set<Digest> }> {
  const layers = new Set<Digest>();
  const blobs = new Set<Digest>();
  for (const id of await store.images.ids()) {
    if (excluding.has(id)) continue;
    const record = await store.images.get(id);
    if (!record) continue;
    blobs.add(id);
    if (record.manifest) blobs.add(record.manifest.digest);
    if (!record.topLayer) continue;
    for (const layer of await store.layers.chain(record.topLayer)) {
      layers.add(layer.chainId);
      for (const blob of await store.layers.blobsOf(layer.diffId)) blobs.add(blob);
    }
  }
  return { layers, blobs };
}

/** Forget the legacy entries of images that are gone (or counted as gone). */
async function dropLegacyOfRemovedImages(
  store: Store,
  excluding: ReadonlySet<Digest>,
): Promise<void> {
  for (const image of await store.legacy.images()) {
    if (excluding.has(image) || !(await store.images.get(image)))
      await store.legacy.deleteImage(image);
  }
}

/**
 * Remove every layer and blob that no image references (with dryRun: only list them). Images in
 * `excluding` count as already gone.
 */
export async function collectGarbage(
  store: Store,
  options: { dryRun?: boolean; excluding?: ReadonlySet<Digest> } = {},
): Promise<Freed> {
  const protectedSince = (await oldestLiveLease(store.layout)) ?? Infinity;
  const live = await liveSets(store, options.excluding ?? new Set());
  const freed: Freed = { images: [], layers: [], blobs: [], bytes: 0 };
  if (!options.dryRun) await dropLegacyOfRemovedImages(store, options.excluding ?? new Set());
  for await (const layer of store.layers.list()) {
    if (live.layers.has(layer.chainId)) continue;
    freed.layers.push(layer.chainId);
    if (!options.dryRun) {
      await store.snapshots.remove(layer.chainId);
      await store.layers.delete(layer.chainId);
    }
  }
  for await (const blob of store.content.list()) {
    if (live.blobs.has(blob)) continue;
    const file = store.content.blobPath(blob);
    if (((await modifiedAt(file)) ?? 0) >= protectedSince) continue;
    freed.blobs.push(blob);
    freed.bytes += (await store.content.size(blob)) ?? 0;
    if (!options.dryRun) await store.layers.removeBlob(blob);
  }
  return freed;
}

export interface RemoveResult {
  untagged: string[];
  deleted: Digest[];
  freed: Freed;
}

/**
 * `rmi`: remove a reference, or an image. Naming one of several references of an image removes
 * just that reference; removing an image that is tagged more than once (named by ID) or that is
 * another image's parent needs `force`. Then everything no image references is freed.
 */
export async function removeImage(
  store: Store,
  text: string,
  options: { force?: boolean } = {},
): Promise<RemoveResult> {
  const id = await resolveImage(store, text);
  const refs = await store.references.referencesOf(id);
  const named = refs.find((r) => {
    try {
      return parseDockerRef(text).toString() === r;
    } catch {
      return false;
    }
  });
  if (named && refs.length > 1) {
    return {
      untagged: await store.references.delete([named]),
      deleted: [],
      freed: { images: [], layers: [], blobs: [], bytes: 0 },
    };
  }
  if (refs.length > 1 && !options.force) {
    throw new ShaleError(
      'ERR_INVALID_ARGUMENT',
      `image ${id} is referenced by ${refs.length} references (${refs.join(', ')}); remove them one by one or use --force`,
    );
  }
  const children = await store.images.children(id);
  if (children.length > 0 && !options.force) {
    throw new ShaleError(
      'ERR_INVALID_ARGUMENT',
      `image ${id} is the parent of ${children.length} other image(s); use --force`,
    );
  }
  const untagged = await store.references.delete(refs);
  await store.images.delete(id);
  return { untagged, deleted: [id], freed: await collectGarbage(store) };
}

/** Images prune removes: untagged ones that are nobody's parent, or (all) every untagged one. */
async function prunableImages(store: Store, all: boolean): Promise<Digest[]> {
  const tagged = new Set(Object.values(await store.references.all()));
  const parents = new Set<Digest>();
  const ids = await store.images.ids();
  for (const id of ids) {
    const parent = (await store.images.get(id))?.parent;
    if (parent) parents.add(parent);
  }
  return ids.filter((id) => !tagged.has(id) && (all || !parents.has(id)));
}

async function expiredIngests(store: Store, now: number): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(store.layout.ingestDir);
  } catch {
    return [];
  }
  const expired: string[] = [];
  for (const name of names) {
    const file = path.join(store.layout.ingestDir, name);
    const mtime = await modifiedAt(file);
    if (mtime !== undefined && now - mtime > INGEST_EXPIRY_MS) expired.push(file);
  }
  return expired;
}

/** `prune`: untagged images, expired partial downloads, then unreferenced content. */
export async function prune(
  store: Store,
  options: { all?: boolean; dryRun?: boolean } = {},
): Promise<Freed & { ingests: number }> {
  const images = await prunableImages(store, options.all ?? false);
  const ingests = await expiredIngests(store, Date.now());
  if (!options.dryRun) {
    for (const id of images) await store.images.delete(id);
    for (const file of ingests) await rm(file, { force: true });
  }
  const freed = await collectGarbage(store, { dryRun: options.dryRun, excluding: new Set(images) });
  return { ...freed, images, ingests: ingests.length };
}
