/**
 * What a copy sends, read from the source before anything is written: the top manifest (verified
 * against the digest its reference states, if any), an index's child manifests — all of them, or
 * with a platform only the matching one, which then becomes the top — each verified against its
 * index entry, and the distinct blobs (configs and layers) those image manifests name.
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
  /** An index's image manifests, put (by digest) before it. */
  children: FetchedManifest[];
  /** Every blob the image manifests name, once each. */
  blobs: Descriptor[];
  /** What is copied, in words. */
  summary: string;
}

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
  if (isIndex(mediaType)) {
    const entries = parseImageIndex(bytes).manifests;
    if (platform !== undefined) {
      const entry = entries.find(
        (e) => isImageManifest(e.mediaType) && platformMatches(e.platform, platform),
      );
      if (entry === undefined) {
        throw new ShaleError(
          'ERR_NOT_FOUND',
          `index ${digest} of ${source.name} has no image for ${formatPlatform(platform)}`,
        );
      }
      const chosen = await fetchChild(source, entry, signal);
      const summary = `manifest ${entry.digest} for ${formatPlatform(platform)} of index ${digest}`;
      return { top: chosen, children: [], blobs: blobsOf([chosen.bytes]), summary };
    }
    const children: FetchedManifest[] = [];
    // An index may list one manifest twice (under two platforms): it is read and put once.
    const distinct = new Map(entries.map((e) => [e.digest, e]));
    for (const entry of distinct.values()) children.push(await fetchChild(source, entry, signal));
    const summary = `index ${digest} with all ${children.length} of its manifests`;
    return { top, children, blobs: blobsOf(children.map((c) => c.bytes)), summary };
  }
  checkImageManifest(mediaType, `${source.name} (manifest ${digest})`);
  return { top, children: [], blobs: blobsOf([top.bytes]), summary: `manifest ${digest}` };
}

function checkImageManifest(mediaType: string, what: string): void {
  if (isImageManifest(mediaType)) return;
  throw new ShaleError(
    'ERR_UNSUPPORTED',
    `${what} has media type ${mediaType}; copy takes Docker schema2 and OCI manifests and indexes of them`,
  );
}

async function fetchChild(
  source: ImageSource,
  entry: ManifestDescriptor,
  signal?: AbortSignal,
): Promise<FetchedManifest> {
  const { mediaType, digest, size } = entry;
  checkImageManifest(mediaType, `${source.name}: index entry ${digest}`);
  const bytes = await source.readManifest(entry, signal);
  verifyBytes(bytes, entry, source.name);
  return { descriptor: { mediaType, digest, size }, bytes };
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
