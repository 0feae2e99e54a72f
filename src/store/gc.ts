/**
 * Removing images and collecting garbage. Nothing is reference-counted on disk (counts could
 * drift when a process dies); instead what is live is recomputed from the images and references:
 * the images' config and manifest blobs, their layer chains and every blob of those layers, the
 * manifest or index each reference names, and what a named index holds (index-content.ts).
 * Everything else is
 * garbage, except what a running writer may still use: every blob and layer record written or
 * touched since the oldest live lease began (see leases.ts). Collection, image removal and the
 * moment a writer makes an image visible (commit-image.ts) are serialized by the gc lock; an
 * image is removed only while, under the references lock, nothing names it. Legacy IDs of removed
 * images go too.
 */
import { rm, stat } from 'node:fs/promises';
import type { Digest } from '../core/digest.ts';
import { isShaleError, ShaleError } from '../core/errors.ts';
import type { ImageConfig } from '../core/image-config.ts';
import { isIndex } from '../core/media-types.ts';
import { parseDockerRef } from '../core/reference.ts';
import { storedIndexContent } from './index-content.ts';
import { resolveImage } from './resolve.ts';
import type { LayerRecord } from './layers/index.ts';
import type { Additions } from './additions.ts';
import { oldestLiveLease, type Lease } from './leases.ts';
import { withLock } from './lock.ts';
import { findLeftovers } from './fsck/leftovers.ts';
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

/** The lock that serializes collection, image removal and images becoming visible. */
export const GC_LOCK = 'gc';

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
  // Each reference keeps the manifest (and index) it names, while its image stays; an index is
  // walked once however many references (a tag, `name@digest`) name it.
  const indexes = new Set<Digest>();
  for (const target of Object.values(await store.references.targets())) {
    if (excluding.has(target.image)) continue;
    if (target.descriptor) blobs.add(target.descriptor.digest);
    if (target.manifest) blobs.add(target.manifest.digest);
    if (target.descriptor && isIndex(target.descriptor.mediaType))
      indexes.add(target.descriptor.digest);
  }
  for (const index of indexes)
    for (const blob of await storedIndexContent(store, index)) blobs.add(blob);
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

/** What a sweep may remove: everything, or only the candidates a failed writer added. */
interface SweepOptions {
  dryRun?: boolean;
  excluding?: ReadonlySet<Digest>;
  /** The lease of the writer whose additions are swept (its own writes do not protect them). */
  except?: Lease;
  candidates?: Additions;
}

/**
 * The layers a running writer may still use (touched since the oldest live lease began) that are
 * not live, with every layer under them: a kept layer never loses its parent. A live layer's
 * ancestors are live already (liveSets walks whole chains). One whose chain is already broken (an
 * ancestor gone) is garbage: no image can be made of it (a commit checks the whole chain), and its
 * writer registers it again if it goes on.
 */
async function inUseChains(
  store: Store,
  considered: ReadonlyMap<Digest, LayerRecord>,
  live: ReadonlySet<Digest>,
  inUse: (layer: LayerRecord) => Promise<boolean>,
): Promise<Map<Digest, LayerRecord>> {
  const kept = new Map<Digest, LayerRecord>();
  for (const layer of considered.values()) {
    if (live.has(layer.chainId) || kept.has(layer.chainId) || !(await inUse(layer))) continue;
    const chain = await store.layers.chain(layer.chainId).catch((err: unknown) => {
      if (isShaleError(err, 'ERR_NOT_FOUND')) return [];
      throw err;
    });
    for (const ancestor of chain)
      if (!live.has(ancestor.chainId)) kept.set(ancestor.chainId, ancestor);
  }
  return kept;
}

/** The sweep itself; the caller holds the gc lock. */
async function sweep(store: Store, options: SweepOptions): Promise<Freed> {
  const protectedSince =
    (await oldestLiveLease(store.layout, options.except && { except: options.except })) ?? Infinity;
  const inUse = async (file: string): Promise<boolean> =>
    ((await modifiedAt(file)) ?? 0) >= protectedSince;
  const live = await liveSets(store, options.excluding ?? new Set());
  const freed: Freed = { images: [], layers: [], blobs: [], bytes: 0 };
  if (!options.dryRun && !options.candidates)
    await dropLegacyOfRemovedImages(store, options.excluding ?? new Set());
  const considered = new Map<Digest, LayerRecord>();
  if (options.candidates) {
    for (const chainId of options.candidates.layers) {
      const layer = await store.layers.get(chainId);
      if (layer) considered.set(chainId, layer);
    }
  } else {
    for await (const layer of store.layers.list()) considered.set(layer.chainId, layer);
  }
  const inUseLayers = await inUseChains(store, considered, live.layers, (layer) =>
    inUse(store.layers.recordPath(layer.chainId)),
  );
  // Children before parents: a kill between two removals leaves no layer without its parent.
  const doomed = [...considered.values()]
    .filter((layer) => !live.layers.has(layer.chainId) && !inUseLayers.has(layer.chainId))
    .sort((a, b) => b.depth - a.depth);
  for (const layer of doomed) {
    freed.layers.push(layer.chainId);
    freed.bytes += await reclaimedBy(store, layer);
    if (!options.dryRun) {
      await store.snapshots.remove(layer.chainId);
      await store.layers.delete(layer.chainId);
    }
  }
  for (const layer of inUseLayers.values())
    for (const blob of await store.layers.blobsOf(layer.diffId)) live.blobs.add(blob);
  for await (const blob of options.candidates?.blobs ?? store.content.list()) {
    if (live.blobs.has(blob)) continue;
    if (await inUse(store.content.blobPath(blob))) continue;
    freed.blobs.push(blob);
    if (!options.dryRun) await store.layers.removeBlob(blob);
  }
  return freed;
}

/**
 * Remove every layer and blob that no image references (with dryRun: only list them). Images in
 * `excluding` count as already gone.
 */
export async function collectGarbage(
  store: Store,
  options: { dryRun?: boolean; excluding?: ReadonlySet<Digest> } = {},
): Promise<Freed> {
  return withLock(store.layout, GC_LOCK, () => sweep(store, options));
}

/**
 * Remove what a failed writer added (`added`, under its `lease`) unless an image or another
 * running writer uses it. The caller holds the gc lock.
 */
export async function releaseAdditions(
  store: Store,
  added: Additions,
  lease: Lease,
): Promise<void> {
  await sweep(store, { candidates: added, except: lease });
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
    'ERR_NEEDS_FORCE',
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
    // A digest that only resolves through another reference of its repository names none itself.
    if (removed.length === 0) throw new ShaleError('ERR_NOT_FOUND', `no such image: ${text}`);
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
  return withLock(store.layout, GC_LOCK, async () => {
    const deleted: DeletedImage[] = [];
    const freed = emptyFreed();
    for (let next: Digest | undefined = id; next !== undefined;) {
      const record = await store.images.get(next);
      const top = record?.topLayer;
      const chain = top ? (await store.layers.chain(top)).map((l) => l.chainId).reverse() : [];
      // A tag set since the references were removed keeps the image.
      const doomed = next;
      if (!(await store.references.whileUnreferenced(doomed, () => store.images.delete(doomed))))
        break;
      const collected = await sweep(store, {});
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
  });
}

/** Which images prune picks. */
export interface PruneOptions {
  /** Every untagged image, not only those that are nobody's parent. */
  all?: boolean;
  /** Tagged images too (the Engine API's `dangling=false`: with no containers, every image). */
  tagged?: boolean;
  /** Only images created before this (ms since the epoch). */
  until?: number;
  /** Only images whose config this accepts (the Engine API's label filters). */
  where?: (config: ImageConfig) => boolean;
}

/**
 * Images prune removes, as Docker's image prune picks them: untagged ones (digest references do
 * not count as tags) that are nobody's parent, or with `all` every untagged one (with `tagged`
 * every one); with `until` only those created before it, with `where` only those it accepts.
 */
async function prunableImages(store: Store, options: PruneOptions): Promise<Digest[]> {
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
    if (!options.tagged && (tagged.has(id) || (!options.all && parents.has(id)))) continue;
    const { config } = await store.images.config(id);
    if (options.until !== undefined && createdAfter(config, options.until)) continue;
    if (options.where && !options.where(config)) continue;
    picked.push(id);
  }
  return picked;
}

/** Docker's `until`: an image without a valid creation time counts as created at the epoch. */
function createdAfter(config: ImageConfig, until: number): boolean {
  const created = Date.parse(config.created ?? '');
  return !Number.isNaN(created) && created > until;
}

/** One image prune removed: its references, and the layers of its chain that went with it. */
export interface PrunedImage {
  id: Digest;
  untagged: string[];
  layers: Digest[];
}

/** What prune removed besides images and content: the leftovers of interrupted commands. */
export interface PrunedLeftovers {
  count: number;
  bytes: number;
}

/**
 * `prune`: untagged images, the leftovers of interrupted commands (partial downloads, temp files
 * and scratch directories whose writer is dead: see fsck/leftovers.ts), then unreferenced content.
 */
export async function prune(
  store: Store,
  options: PruneOptions & { dryRun?: boolean } = {},
): Promise<Freed & { leftovers: PrunedLeftovers; removed: PrunedImage[] }> {
  return withLock(store.layout, GC_LOCK, async () => {
    const picked = await prunableImages(store, options);
    const removed: PrunedImage[] = [];
    for (const id of picked) {
      const top = (await store.images.get(id))?.topLayer;
      const chain = top ? (await store.layers.chain(top)).map((l) => l.chainId).reverse() : [];
      const refs = await store.references.referencesOf(id);
      if (!options.dryRun) {
        await store.references.delete(refs);
        // A tag set meanwhile keeps the image.
        if (!(await store.references.whileUnreferenced(id, () => store.images.delete(id))))
          continue;
      }
      removed.push({ id, untagged: refs, layers: chain });
    }
    const leftovers = (await findLeftovers(store)).filter((l) => l.abandoned);
    if (!options.dryRun)
      for (const { file } of leftovers) await rm(file, { recursive: true, force: true });
    const images = removed.map((r) => r.id);
    const freed = await sweep(store, { dryRun: options.dryRun, excluding: new Set(images) });
    // A layer is listed with the first removed image whose chain held it, as Docker lists it once.
    const gone = new Set(freed.layers);
    for (const image of removed) {
      image.layers = image.layers.filter((c) => gone.delete(c));
    }
    const count = leftovers.length;
    const bytes = leftovers.reduce((sum, l) => sum + l.bytes, 0);
    return { ...freed, images, leftovers: { count, bytes }, removed };
  });
}
