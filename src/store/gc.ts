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
import type { ParsedImageConfig } from '../core/image-config.ts';
import { parseDockerRef } from '../core/reference.ts';
import { resolveImage } from './describe.ts';
import type { LayerRecord } from './layers/index.ts';
import { oldestLiveLease } from './leases.ts';
import type { Store } from './store.ts';

export interface Freed {
  images: Digest[];
  layers: Digest[];
  blobs: Digest[];
  /**
   * Space reclaimed as Docker counts it (image prune's SpaceReclaimed): the sum of the removed
   * layers' content sizes, not the bytes of the blobs.
   */
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

/** A removed layer's content size (Docker's DiffSize); 0 when its content can no longer be read. */
async function reclaimedBy(store: Store, layer: LayerRecord): Promise<number> {
  try {
    return await store.layers.contentSize(layer);
  } catch (err) {
    if (err instanceof ShaleError) return 0;
    throw err;
  }
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
    freed.bytes += await reclaimedBy(store, layer);
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
    if (!options.dryRun) await store.layers.removeBlob(blob);
  }
  return freed;
}

/** An image `rmi` deleted, and the ChainIDs of its layers that went with it, top first. */
export interface DeletedImage {
  id: Digest;
  layers: Digest[];
}

export interface RemoveResult {
  /** References removed, in Docker's order (the one named first). */
  untagged: string[];
  /** Images deleted: the one named, then each parent pruned after it ([] when only a reference went). */
  deleted: DeletedImage[];
  freed: Freed;
}

export interface RemoveOptions {
  /** Delete an image named by ID despite several repositories or child images. */
  force?: boolean;
  /** Keep the untagged parents that deleting the image leaves behind (`docker rmi --no-prune`). */
  noPrune?: boolean;
}

/** Whether `text` is the ID `id` or a prefix of it (with or without `sha256:`), as Docker asks. */
function isIdPrefix(id: Digest, text: string): boolean {
  return id.startsWith(text) || id.slice(id.indexOf(':') + 1).startsWith(text);
}

/** Docker's isSingleReference: at most one tag, and every reference in that one repository. */
function isSingleRepository(refs: readonly string[]): boolean {
  const parsed = refs.map((r) => parseDockerRef(r));
  const tags = parsed.filter((r) => r.digest === undefined);
  if (tags.length > 1) return false;
  return new Set(parsed.map((r) => r.name())).size === 1;
}

function conflict(id: Digest, reason: string): ShaleError {
  const short = id.slice(id.indexOf(':') + 1, id.indexOf(':') + 13);
  return new ShaleError(
    'ERR_INVALID_ARGUMENT',
    `conflict: unable to delete ${short} (must be forced) - ${reason}`,
  );
}

/**
 * `rmi`, with Docker's rules (daemon/images/image_delete.go). Named by reference: that reference
 * goes (with the digest references of its repository when it was the repository's last tag), and
 * the image too when nothing else names it and it is nobody's parent. Named by ID: the image and
 * its references go when they are all of one repository with at most one tag; several
 * repositories, or being another image's parent, need `force`. A deleted image's parent that is
 * left without references and children goes too, and so on up (unless `noPrune`). Then whatever no
 * image references is freed.
 */
export async function removeImage(
  store: Store,
  text: string,
  options: RemoveOptions = {},
): Promise<RemoveResult> {
  const id = await resolveImage(store, text);
  const refs = await store.references.referencesOf(id);
  const children = await store.images.children(id);
  if (!isIdPrefix(id, text)) {
    const named = parseDockerRef(text);
    const untagged = [named.toString()];
    if (named.digest === undefined) {
      const sameRepository = refs
        .map((r) => parseDockerRef(r))
        .filter((r) => r.name() === named.name());
      const tagsLeft = sameRepository.some(
        (r) => r.digest === undefined && r.toString() !== untagged[0],
      );
      if (!tagsLeft)
        untagged.push(...sameRepository.filter((r) => r.digest !== undefined).map(String));
    }
    const removed = await store.references.delete(untagged);
    if (refs.length > removed.length || children.length > 0) {
      return { untagged: removed, deleted: [], freed: emptyFreed() };
    }
    return { untagged: removed, ...(await deleteImages(store, id, options)) };
  }
  if (!options.force && refs.length > 0 && !isSingleRepository(refs))
    throw conflict(id, 'image is referenced in multiple repositories');
  if (!options.force && children.length > 0) throw conflict(id, 'image has dependent child images');
  const untagged = await store.references.delete(refs);
  return { untagged, ...(await deleteImages(store, id, options)) };
}

function emptyFreed(): Freed {
  return { images: [], layers: [], blobs: [], bytes: 0 };
}

/** An image nothing names and nothing is built on: what Docker's rmi prunes after a child. */
async function isDangling(store: Store, id: Digest): Promise<boolean> {
  return (
    (await store.references.referencesOf(id)).length === 0 &&
    (await store.images.children(id)).length === 0
  );
}

/**
 * Delete the image `id` and collect, then climb to its parent while that parent is dangling (as
 * Docker's imageDeleteHelper prunes, quietly stopping at the first parent still in use).
 */
async function deleteImages(
  store: Store,
  id: Digest,
  options: RemoveOptions,
): Promise<{ deleted: DeletedImage[]; freed: Freed }> {
  const deleted: DeletedImage[] = [];
  const freed = emptyFreed();
  for (let next: Digest | undefined = id; next !== undefined;) {
    const record = await store.images.get(next);
    const top = record?.topLayer;
    const chain = top ? (await store.layers.chain(top)).map((l) => l.chainId).reverse() : [];
    await store.images.delete(next);
    const collected = await collectGarbage(store);
    for (const key of ['images', 'layers', 'blobs'] as const) freed[key].push(...collected[key]);
    freed.bytes += collected.bytes;
    const gone = new Set(collected.layers);
    deleted.push({ id: next, layers: chain.filter((c) => gone.has(c)) });
    const parent = record?.parent;
    next =
      !options.noPrune && parent !== undefined && (await isDangling(store, parent))
        ? parent
        : undefined;
  }
  return { deleted, freed };
}

/**
 * Images prune removes, as Docker's image prune picks them: untagged ones (digest references do
 * not count as tags) that are nobody's parent, or with `all` every untagged one; with `until`
 * (ms since the epoch) only those created before it.
 */
async function prunableImages(
  store: Store,
  options: { all?: boolean; until?: number },
): Promise<Digest[]> {
  const tagged = new Set<Digest>();
  for (const [ref, id] of Object.entries(await store.references.all()))
    if (parseDockerRef(ref).digest === undefined) tagged.add(id);
  const parents = new Set<Digest>();
  const ids = await store.images.ids();
  for (const id of ids) {
    const parent = (await store.images.get(id))?.parent;
    if (parent) parents.add(parent);
  }
  const picked: Digest[] = [];
  for (const id of ids) {
    if (tagged.has(id) || (!options.all && parents.has(id))) continue;
    if (options.until !== undefined && createdAfter(await store.images.config(id), options.until))
      continue;
    picked.push(id);
  }
  return picked;
}

/** Docker's `until`: an image without a valid creation time counts as created at the epoch. */
function createdAfter(config: ParsedImageConfig, until: number): boolean {
  const created = Date.parse(config.config.created ?? '');
  return !Number.isNaN(created) && created > until;
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

/** One image prune removed: its references, and the layers of its chain that went with it. */
export interface PrunedImage {
  id: Digest;
  untagged: string[];
  layers: Digest[];
}

/** `prune`: untagged images, expired partial downloads, then unreferenced content. */
export async function prune(
  store: Store,
  options: { all?: boolean; dryRun?: boolean; until?: number } = {},
): Promise<Freed & { ingests: number; removed: PrunedImage[] }> {
  const images = await prunableImages(store, options);
  const ingests = await expiredIngests(store, Date.now());
  const removed: PrunedImage[] = [];
  for (const id of images) {
    const top = (await store.images.get(id))?.topLayer;
    const chain = top ? (await store.layers.chain(top)).map((l) => l.chainId).reverse() : [];
    const refs = await store.references.referencesOf(id);
    removed.push({ id, untagged: refs, layers: chain });
    if (!options.dryRun) {
      await store.references.delete(refs);
      await store.images.delete(id);
    }
  }
  if (!options.dryRun) for (const file of ingests) await rm(file, { force: true });
  const freed = await collectGarbage(store, { dryRun: options.dryRun, excluding: new Set(images) });
  // A layer is listed with the first removed image whose chain held it, as Docker lists it once.
  const gone = new Set(freed.layers);
  for (const image of removed) {
    image.layers = image.layers.filter((c) => gone.delete(c));
  }
  return { ...freed, images, ingests: ingests.length, removed };
}
