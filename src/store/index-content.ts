/**
 * What an index in the store holds besides the image its reference names: the manifests it
 * lists that are stored (every platform of a `pull --all-platforms` or `copy --all` into the
 * store, attestation manifests included), and the configs and layers they name that are stored.
 * These are content only, with no image or layer records; they are what lets a push send the
 * index itself, and what collection keeps while a reference names the index. An entry that is
 * itself an index is followed too, to a bounded depth. An index is held whole when every entry is
 * an image manifest stored with all its blobs: then push and save send it as it is.
 */
import type { Digest } from '../core/digest.ts';
import {
  manifestBlobs,
  parseImageIndex,
  parseImageManifest,
  type ImageManifest,
} from '../core/manifest.ts';
import { isImageManifest, isIndex } from '../core/media-types.ts';
import type { Descriptor } from './images/manifest.ts';
import type { Store } from './store.ts';

/** How deep nested indexes are followed (the copy of referrers stops at the same depth). */
const MAX_INDEX_DEPTH = 8;

/** The stored manifests the stored index `digest` lists, and the stored blobs they name. */
export async function storedIndexContent(store: Store, digest: Digest): Promise<Set<Digest>> {
  const found = new Set<Digest>();
  await walkIndex(store, digest, found, 1);
  return found;
}

async function walkIndex(store: Store, digest: Digest, found: Set<Digest>, depth: number) {
  const index = await readStored(store, digest, parseImageIndex);
  for (const entry of index?.manifests ?? []) {
    if (found.has(entry.digest) || !(await store.content.has(entry.digest))) continue;
    found.add(entry.digest);
    if (isIndex(entry.mediaType) && depth < MAX_INDEX_DEPTH)
      await walkIndex(store, entry.digest, found, depth + 1);
    if (!isImageManifest(entry.mediaType)) continue;
    const manifest = await readStored(store, entry.digest, parseImageManifest);
    for (const blob of manifest ? manifestBlobs(manifest) : [])
      if (await store.content.has(blob.digest)) found.add(blob.digest);
  }
}

/**
 * A stored manifest parsed, or undefined when it cannot be read or parsed: fsck reports a damaged
 * blob, and what it would have named is simply not found here.
 */
async function readStored<T>(
  store: Store,
  digest: Digest,
  parse: (bytes: Uint8Array) => T,
): Promise<T | undefined> {
  try {
    return parse(await store.content.read(digest));
  } catch {
    return undefined;
  }
}

/** One manifest of an index the store holds whole: its bytes, parsed. */
export interface HeldManifest {
  descriptor: Descriptor;
  bytes: Buffer;
  manifest: ImageManifest;
}

/**
 * Every manifest the stored index lists, in order, when each is an image manifest stored with
 * all its blobs; else how many of them are (`lacking` the rest).
 */
export async function heldIndex(
  store: Store,
  index: Descriptor,
): Promise<{ bytes: Buffer; manifests: HeldManifest[]; lacking: number }> {
  const bytes = await store.content.read(index.digest);
  const entries = parseImageIndex(bytes, `index ${index.digest}`).manifests;
  const manifests: HeldManifest[] = [];
  for (const { mediaType, digest, size } of entries) {
    if (!isImageManifest(mediaType) || !(await store.content.has(digest))) continue;
    const manifestBytes = await store.content.read(digest);
    const manifest = parseImageManifest(manifestBytes);
    if (await allStored(store, manifestBlobs(manifest)))
      manifests.push({ descriptor: { mediaType, digest, size }, bytes: manifestBytes, manifest });
  }
  return { bytes, manifests, lacking: entries.length - manifests.length };
}

async function allStored(store: Store, blobs: readonly { digest: Digest }[]): Promise<boolean> {
  for (const blob of blobs) if (!(await store.content.has(blob.digest))) return false;
  return true;
}
