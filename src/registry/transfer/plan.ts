/**
 * What a copy sends, read from the source before anything is written: the top manifest (verified
 * against the digest its reference states, if any), an index's child manifests — all of them,
 * through any indexes it lists (nested, within bounds), or with a platform only the matching image
 * manifest, which then becomes the top — each verified against its index entry, and the distinct
 * blobs (configs and layers) those image manifests name.
 */
import type { Digest } from '../../core/digest.ts';
import { ShaleError } from '../../core/errors.ts';
import {
  formatPlatform,
  parseImageIndex,
  parseImageManifest,
  platformMatches,
  type ManifestDescriptor,
  type Platform,
} from '../../core/manifest.ts';
import { isImageManifest, isIndex } from '../../core/media-types.ts';
import type { Descriptor, ImageSource } from './seam.ts';
import { sha256Of, verifyBytes } from './verify.ts';

export interface FetchedManifest {
  descriptor: Descriptor;
  bytes: Buffer;
}

export interface CopyPlan {
  /** The manifest or index the destination names, put last. */
  top: FetchedManifest;
  /**
   * An index's manifests, put (by digest) before it: every image manifest and nested index below
   * it, each index after the manifests it lists.
   */
  children: FetchedManifest[];
  /** Every blob the image manifests name, once each. */
  blobs: Descriptor[];
  /** An index the plan holds below the top one (its digest), if any. */
  nestedIndex?: Digest;
  /** What is copied, in words. */
  summary: string;
}

/**
 * How deep indexes listed in indexes may nest (the top one counts as the first level), and how
 * many manifests a copy reads below its top index at most.
 */
export const MAX_INDEX_DEPTH = 8;
export const MAX_PLANNED_MANIFESTS = 1000;
/** Bytes of the manifests below a top index a copy holds while it plans, at most. */
export const MAX_PLANNED_MANIFEST_BYTES = 64 << 20;

export async function planCopy(
  source: ImageSource,
  platform: Platform | undefined,
  signal?: AbortSignal,
): Promise<CopyPlan> {
  const resolved = await source.resolve(signal);
  const { mediaType, bytes } = resolved;
  if (resolved.digest !== undefined) verifyBytes(bytes, { digest: resolved.digest }, source.name);
  const digest: Digest = resolved.digest ?? sha256Of(bytes);
  const top = { descriptor: { mediaType, digest, size: bytes.length }, bytes };
  if (!isIndex(mediaType)) {
    checkImageManifest(mediaType, `${source.name} (manifest ${digest})`);
    return { top, children: [], blobs: blobsOf([top.bytes]), summary: `manifest ${digest}` };
  }
  const reader = new IndexReader(source, signal);
  if (platform !== undefined) {
    const chosen = await reader.find(top, platform, 1);
    if (chosen === undefined) {
      throw new ShaleError(
        'ERR_NOT_FOUND',
        `index ${digest} of ${source.name} has no image for ${formatPlatform(platform)}`,
      );
    }
    const summary = `manifest ${chosen.descriptor.digest} for ${formatPlatform(platform)} of index ${digest}`;
    return { top: chosen, children: [], blobs: blobsOf([chosen.bytes]), summary };
  }
  await reader.readAll(top, 1);
  const { children } = reader;
  const images = children.filter((c) => !isIndex(c.descriptor.mediaType));
  const nested = children.length - images.length;
  const nestedIndex = children.find((c) => isIndex(c.descriptor.mediaType))?.descriptor.digest;
  const summary = `index ${digest} with all ${images.length} of its manifests${nested === 0 ? '' : ` (in ${nested} nested index${nested === 1 ? '' : 'es'})`}`;
  return {
    top,
    children,
    blobs: blobsOf(images.map((c) => c.bytes)),
    ...(nestedIndex && { nestedIndex }),
    summary,
  };
}

/** Reads the manifests below an index, each once, within the depth and count bounds. */
class IndexReader {
  /** Read so far, each index after what it lists. */
  readonly children: FetchedManifest[] = [];
  readonly #seen = new Set<Digest>();
  #reads = 0;
  #bytes = 0;

  constructor(
    private readonly source: ImageSource,
    private readonly signal: AbortSignal | undefined,
  ) {}

  /** Every manifest below `index` (at `depth`), read into `children`. */
  async readAll(index: FetchedManifest, depth: number): Promise<void> {
    for (const entry of this.#entries(index)) {
      // An index may list one manifest twice (under two platforms): it is read and put once.
      if (this.#seen.has(entry.digest)) continue;
      this.#seen.add(entry.digest);
      const child = await this.#read(entry, index, depth);
      if (isIndex(entry.mediaType)) await this.readAll(child, depth + 1);
      this.children.push(child);
    }
  }

  /**
   * The image manifest for `platform` below `index`: one it lists itself first, else the first
   * found in the indexes it lists (those for that platform, or for none), in their order.
   */
  async find(
    index: FetchedManifest,
    platform: Platform,
    depth: number,
  ): Promise<FetchedManifest | undefined> {
    const entries = this.#entries(index);
    const image = entries.find(
      (e) => isImageManifest(e.mediaType) && platformMatches(e.platform, platform),
    );
    if (image !== undefined) return this.#read(image, index, depth);
    for (const entry of entries) {
      if (!isIndex(entry.mediaType)) continue;
      if (entry.platform !== undefined && !platformMatches(entry.platform, platform)) continue;
      const found = await this.find(await this.#read(entry, index, depth), platform, depth + 1);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  #entries(index: FetchedManifest): ManifestDescriptor[] {
    return parseImageIndex(index.bytes, `index ${index.descriptor.digest}`).manifests;
  }

  /** The manifest `entry` of `index` (at `depth`) names, verified against the entry. */
  async #read(
    entry: ManifestDescriptor,
    index: FetchedManifest,
    depth: number,
  ): Promise<FetchedManifest> {
    const { source } = this;
    const { mediaType, digest, size } = entry;
    const where = `${source.name}: index ${index.descriptor.digest}`;
    if (isIndex(mediaType) && depth >= MAX_INDEX_DEPTH) {
      throw new ShaleError(
        'ERR_LIMIT',
        `${where} lists index ${digest}: indexes nest more than ${MAX_INDEX_DEPTH} deep (the top one included), more than a copy follows`,
      );
    }
    if (!isIndex(mediaType)) checkImageManifest(mediaType, `${where}, entry ${digest}`);
    this.#bytes += size;
    if (++this.#reads > MAX_PLANNED_MANIFESTS || this.#bytes > MAX_PLANNED_MANIFEST_BYTES) {
      throw new ShaleError(
        'ERR_LIMIT',
        `${where} and the indexes it lists name more than ${MAX_PLANNED_MANIFESTS} manifests or ${MAX_PLANNED_MANIFEST_BYTES >> 20} MiB of them`,
      );
    }
    const bytes = await source.readManifest(entry, this.signal);
    verifyBytes(bytes, entry, source.name);
    return { descriptor: { mediaType, digest, size }, bytes };
  }
}

function checkImageManifest(mediaType: string, what: string): void {
  if (isImageManifest(mediaType)) return;
  throw new ShaleError(
    'ERR_UNSUPPORTED',
    `${what} has media type ${mediaType}; copy takes Docker schema2 and OCI manifests and indexes of them`,
  );
}

/** The layers and configs of the image manifests `manifests` (as Docker pushes), each digest once. */
export function blobsOf(manifests: readonly Buffer[]): Descriptor[] {
  const blobs = new Map<Digest, Descriptor>();
  for (const bytes of manifests) {
    const manifest = parseImageManifest(bytes);
    for (const { mediaType, digest, size } of [...manifest.layers, manifest.config])
      if (!blobs.has(digest)) blobs.set(digest, { mediaType, digest, size });
  }
  return [...blobs.values()];
}
