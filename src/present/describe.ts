/**
 * Describing local images the way `docker images`, `docker inspect` and `docker history` present
 * them: summaries with short reference forms, inspect objects with docker's keys plus
 * `LegacyIds`, history steps matched with their layers.
 */
import type { Digest } from '../core/digest.ts';
import { toContainerConfig, type ContainerConfig } from '../core/container-config.ts';
import { ShaleError } from '../core/errors.ts';
import type { HistoryEntry } from '../core/image-config.ts';
import { formatGoTime, parseGoTime, ZERO_TIME } from '../core/go-time.ts';
import { familiarString, parseDockerRef } from '../core/reference.ts';
import type { DescriptionCache } from './description-cache.ts';
import { selectImages, type ImageFilters } from './image-filters.ts';
import { resolveImage } from '../store/resolve.ts';
import type { Store } from '../store/store.ts';

export interface ImageSummary {
  Id: Digest;
  RepoTags: string[];
  RepoDigests: string[];
  Created: string;
  Size: number;
}

/**
 * Docker 20.10's ImageInspect, keys in its order, plus `LegacyIds`. `GraphDriver` tells the truth
 * about shale: no graph driver, so its own name and no driver data (Docker's vfs shows `null`
 * Data too). Comment falls back to the last history comment, as Docker's does.
 */
export interface ImageInspect extends ImageSummary {
  Parent: string;
  Comment: string;
  Container: string;
  ContainerConfig: ContainerConfig;
  DockerVersion: string;
  Author: string;
  Config: ContainerConfig | null;
  Architecture: string;
  Variant?: string;
  Os: string;
  OsVersion?: string;
  VirtualSize: number;
  GraphDriver: { Data: null; Name: 'shale' };
  RootFS: { Type: string; Layers: Digest[] };
  Metadata: { LastTagTime: string };
  LegacyIds: string[];
}

/** A config time as Docker shows it (Go's RFC3339Nano of the parsed time; zero time if unset). */
function dockerTime(text: string | undefined): string {
  if (!text) return formatGoTime(ZERO_TIME);
  try {
    return formatGoTime(parseGoTime(text));
  } catch {
    return text; // Docker would not load such a config; shown as written
  }
}

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/** Milliseconds since the epoch of a summary's `Created` (sorting as times, not as strings). */
const createdTime = (image: ImageSummary): number => Date.parse(image.Created) || 0;

function shortForms(refs: readonly string[]): { tags: string[]; digests: string[] } {
  const tags: string[] = [];
  const digests: string[] = [];
  for (const ref of refs) {
    const named = parseDockerRef(ref);
    (named.digest ? digests : tags).push(familiarString(named));
  }
  return { tags, digests };
}

/** Docker's size of each layer of a chain, base first: its file contents (counted once, then kept). */
async function layerSizes(store: Store, topLayer: Digest | undefined): Promise<number[]> {
  const sizes: number[] = [];
  if (!topLayer) return sizes;
  for (const layer of await store.layers.chain(topLayer))
    sizes.push(await store.layers.contentSize(layer));
  return sizes;
}

/** Docker's image size: the content sizes of its layers. */
async function layerBytes(store: Store, topLayer: Digest | undefined): Promise<number> {
  return (await layerSizes(store, topLayer)).reduce((sum, size) => sum + size, 0);
}

/** Every reference of the store by the image it names, each list sorted. */
export function referencesByImage(references: Record<string, Digest>): Map<Digest, string[]> {
  const byImage = new Map<Digest, string[]>();
  for (const ref of Object.keys(references).sort()) {
    const image = references[ref]!;
    const refs = byImage.get(image);
    if (refs) refs.push(ref);
    else byImage.set(image, [ref]);
  }
  return byImage;
}

/** `byImage`: every reference by its image (referencesByImage), when the caller has them. */
export async function describeImage(
  store: Store,
  id: Digest,
  byImage?: ReadonlyMap<Digest, string[]>,
): Promise<ImageInspect> {
  const refs = byImage ? (byImage.get(id) ?? []) : await store.references.referencesOf(id);
  return withReferences(await describeStoredImage(store, id), refs);
}

/** A description (of describeStoredImage) with the image's references in their short forms. */
export function withReferences(image: ImageInspect, refs: readonly string[]): ImageInspect {
  const { tags, digests } = shortForms(refs);
  return { ...image, RepoTags: tags, RepoDigests: digests };
}

/** What the image's record, config and layers say of it: all but its references. */
export async function describeStoredImage(store: Store, id: Digest): Promise<ImageInspect> {
  const { record, config } = await store.images.open(id);
  const raw = config as Record<string, unknown>;
  const size = await layerBytes(store, record.topLayer);
  return {
    Id: id,
    RepoTags: [],
    RepoDigests: [],
    Parent: record.parent ?? '',
    Comment: text(raw.comment) || (config.history?.at(-1)?.comment ?? ''),
    Created: dockerTime(config.created),
    Container: text(raw.container),
    ContainerConfig: toContainerConfig(raw.container_config),
    DockerVersion: text(raw.docker_version),
    Author: config.author ?? '',
    Config: config.config ? toContainerConfig(config.config) : null,
    Architecture: config.architecture ?? '',
    ...(config.variant ? { Variant: config.variant } : {}),
    Os: config.os || 'linux',
    ...(raw['os.version'] ? { OsVersion: text(raw['os.version']) } : {}),
    Size: size,
    VirtualSize: size,
    GraphDriver: { Data: null, Name: 'shale' },
    RootFS: { Type: config.rootfs.type, Layers: config.rootfs.diff_ids },
    Metadata: { LastTagTime: dockerTime(record.lastTagged) },
    LegacyIds: await store.legacy.idsOf(id),
  };
}

export interface ListImagesOptions {
  /** Also untagged images that are another image's parent (`docker images -a`). */
  all?: boolean;
  filters?: ImageFilters;
  /** Descriptions kept from earlier listings (a long-running server's). */
  cache?: DescriptionCache;
  /** Told of each image left out because the store cannot describe it (a damaged record). */
  onWarning?: (message: string) => void;
}

/**
 * The images `docker images` would list, described in full, newest first (see image-filters.ts
 * for the rules). An image the store cannot describe (a damaged record, a missing or damaged
 * blob) is left out and reported to `onWarning`: one bad image does not hide the others.
 */
export async function listImageDetails(
  store: Store,
  options: ListImagesOptions = {},
): Promise<ImageInspect[]> {
  const byImage = referencesByImage(await store.references.all());
  const described: ImageInspect[] = [];
  const { cache } = options;
  const ids = await store.images.ids();
  cache?.retain(ids);
  for (const id of ids) {
    try {
      const stored = cache ? await cache.describe(store, id) : await describeStoredImage(store, id);
      described.push(withReferences(stored, byImage.get(id) ?? []));
    } catch (err) {
      if (!(err instanceof ShaleError)) throw err;
      options.onWarning?.(`image ${id} is not listed: ${err.message}`);
    }
  }
  const named = async (names: string[] = []) =>
    Promise.all(names.map(async (name) => describeImage(store, await resolveImage(store, name))));
  const shown = selectImages(described, {
    ...options,
    before: await named(options.filters?.before),
    since: await named(options.filters?.since),
  });
  return shown.sort((a, b) => createdTime(b) - createdTime(a));
}

/** The images `docker images` would list, as `shale images --json` prints them. */
export async function listImages(
  store: Store,
  options: ListImagesOptions = {},
): Promise<ImageSummary[]> {
  return (await listImageDetails(store, options)).map(
    ({ Id, RepoTags, RepoDigests, Created, Size }) => ({
      Id,
      RepoTags,
      RepoDigests,
      Created,
      Size,
    }),
  );
}

export interface HistoryItem {
  /** The image ID on the newest entry, its parents' on the next ones, else `<missing>` (as docker). */
  Id: string;
  Created: string;
  CreatedBy: string;
  /** Docker's size of the layer the step made, its file contents (0 for empty-layer steps). */
  Size: number;
  Comment: string;
  EmptyLayer: boolean;
}

/** The build history of an image, newest first, each step matched with the layer it made. */
export async function imageHistory(store: Store, id: Digest): Promise<HistoryItem[]> {
  const { record, config } = await store.images.open(id);
  const layers = await layerSizes(store, record.topLayer);
  const steps: HistoryEntry[] = config.history?.length ? config.history : layers.map(() => ({}));
  let next = 0;
  const items = steps.map((step): HistoryItem => {
    const empty = step.empty_layer === true;
    const size = empty ? 0 : (layers[next++] ?? 0);
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
  // as the daemon: the steps, newest first, are named by the image and then its parents in turn
  let named: Digest | undefined = id;
  for (const item of items) {
    if (!named) break;
    item.Id = named;
    named = (await store.images.get(named))?.parent;
  }
  return items;
}
