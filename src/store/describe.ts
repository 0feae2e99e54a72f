/**
 * Finding and describing local images the way `docker images` and `docker inspect` present them:
 * an image named by a reference, an ID or a unique ID prefix; summaries with short reference
 * forms; inspect objects with docker's keys plus `LegacyIds`.
 */
import type { Digest } from '../core/digest.ts';
import { ShaleError } from '../core/errors.ts';
import type { HistoryEntry } from '../core/image-config.ts';
import { familiarString, parseAnyReference, parseDockerRef } from '../core/reference.ts';
import type { Store } from './store.ts';

/**
 * The image `text` names, tried in docker's order: a full ID, a full legacy (v1) ID, a reference
 * (`alpine` = `docker.io/library/alpine:latest`), a unique ID prefix, a unique legacy-ID prefix.
 */
export async function resolveImage(store: Store, text: string): Promise<Digest> {
  if (/^(sha256:)?[a-f0-9]{64}$/.test(text)) {
    const id = (await store.images.resolveId(text)) ?? (await store.legacy.resolve(text));
    if (id) return id;
  }
  const byReference = await referencedImage(store, text);
  if (byReference) return byReference;
  const byPrefix = (await store.images.resolveId(text)) ?? (await store.legacy.resolve(text));
  if (byPrefix) return byPrefix;
  throw new ShaleError('ERR_NOT_FOUND', `no such image: ${text}`);
}

async function referencedImage(store: Store, text: string): Promise<Digest | undefined> {
  try {
    if (parseAnyReference(text).kind !== 'named') return undefined;
    return await store.references.resolve(parseDockerRef(text));
  } catch {
    return undefined; // not a reference
  }
}

export interface ImageSummary {
  Id: Digest;
  RepoTags: string[];
  RepoDigests: string[];
  Created: string;
  Size: number;
}

export interface ImageInspect extends ImageSummary {
  Parent: string;
  Config: unknown;
  Architecture: string;
  Os: string;
  RootFS: { Type: string; Layers: Digest[] };
  LegacyIds: string[];
}

function shortForms(refs: string[]): { tags: string[]; digests: string[] } {
  const tags: string[] = [];
  const digests: string[] = [];
  for (const ref of refs) {
    const named = parseDockerRef(ref);
    (named.digest ? digests : tags).push(familiarString(named));
  }
  return { tags, digests };
}

async function layerBytes(store: Store, topLayer: Digest | undefined): Promise<number> {
  if (!topLayer) return 0;
  return (await store.layers.chain(topLayer)).reduce((sum, layer) => sum + layer.size, 0);
}

/** `references`: every reference of the store, when the caller has read them already. */
export async function describeImage(
  store: Store,
  id: Digest,
  references?: Record<string, Digest>,
): Promise<ImageInspect> {
  const record = await store.images.get(id);
  if (!record) throw new ShaleError('ERR_NOT_FOUND', `no such image: ${id}`);
  const { config } = await store.images.config(id);
  const refs = references
    ? Object.keys(references)
        .filter((ref) => references[ref] === id)
        .sort()
    : await store.references.referencesOf(id);
  const { tags, digests } = shortForms(refs);
  return {
    Id: id,
    RepoTags: tags,
    RepoDigests: digests,
    Parent: record.parent ?? '',
    Created: config.created ?? '',
    Config: config.config ?? null,
    Architecture: config.architecture ?? '',
    Os: config.os ?? '',
    RootFS: { Type: config.rootfs.type, Layers: config.rootfs.diff_ids },
    Size: await layerBytes(store, record.topLayer),
    LegacyIds: await store.legacy.idsOf(id),
  };
}

/** Every image, newest first, as `docker images --json` would list it. */
export async function listImages(store: Store): Promise<ImageSummary[]> {
  const summaries: ImageSummary[] = [];
  const references = await store.references.all();
  for (const id of await store.images.ids()) {
    const { Id, RepoTags, RepoDigests, Created, Size } = await describeImage(store, id, references);
    summaries.push({ Id, RepoTags, RepoDigests, Created, Size });
  }
  return summaries.sort((a, b) => (a.Created < b.Created ? 1 : a.Created > b.Created ? -1 : 0));
}

export interface HistoryItem {
  /** The image ID on the newest entry, `<missing>` on older ones (as docker prints them). */
  Id: string;
  Created: string;
  CreatedBy: string;
  /** Uncompressed bytes of the layer the step made (0 for empty-layer steps). */
  Size: number;
  Comment: string;
  EmptyLayer: boolean;
}

/** The build history of an image, newest first, each step matched with the layer it made. */
export async function imageHistory(store: Store, id: Digest): Promise<HistoryItem[]> {
  const record = await store.images.get(id);
  if (!record) throw new ShaleError('ERR_NOT_FOUND', `no such image: ${id}`);
  const { config } = await store.images.config(id);
  const layers = record.topLayer ? await store.layers.chain(record.topLayer) : [];
  const steps: HistoryEntry[] = config.history?.length ? config.history : layers.map(() => ({}));
  let next = 0;
  const items = steps.map((step): HistoryItem => {
    const empty = step.empty_layer === true;
    const size = empty ? 0 : (layers[next++]?.size ?? 0);
    return {
      Id: '<missing>',
      Created: step.created ?? '',
      CreatedBy: step.created_by ?? '',
      Size: size,
      Comment: step.comment ?? '',
      EmptyLayer: empty,
    };
  });
  items.reverse();
  if (items[0]) items[0].Id = id;
  return items;
}
