/**
 * What a push sends for a local image. A reference is pushed with the manifest it names, byte for
 * byte, so the digest it was pulled, loaded or pushed with survives. A reference to an index goes
 * up as the index (every manifest it lists first) when the store holds every manifest it lists
 * with all their blobs, else as the manifest chosen from it alone. An image ID, a reference to
 * the image's own manifest, a schema1 reference, or a manifest naming a blob this store does not
 * hold (its layer came as another compression) is pushed with the image's own manifest as
 * publishable.ts makes it.
 */
import type { Digest } from '../../core/digest.ts';
import {
  formatPlatform,
  parseImageIndex,
  parseImageManifest,
  type ManifestDescriptor,
} from '../../core/manifest.ts';
import { isImageManifest, isIndex } from '../../core/media-types.ts';
import {
  heldIndex,
  resolveTarget,
  type Descriptor,
  type NamedManifest,
  type ReferenceTarget,
  type Store,
} from '../../store/index.ts';
import { publishableManifest, type Publishable } from './publishable.ts';

export interface PushPlan {
  image: Digest;
  /** Image manifests to send, each with its blobs; the last goes under the tag unless `index`. */
  manifests: Publishable[];
  /** The index to send under the tag, after its manifests. */
  index?: { mediaType: string; digest: Digest; bytes: Buffer };
  /** What the pushed `name@digest` reference names. */
  named: NamedManifest;
  /** What is pushed, in words (which manifest, and why not another). */
  summary: string;
}

/** The plan for `source`, a local reference or image ID. */
export async function planPush(
  store: Store,
  source: string,
  signal?: AbortSignal,
): Promise<PushPlan> {
  const target = await resolveTarget(store, source);
  const { image } = target;
  const own = async (why: string): Promise<PushPlan> => {
    const manifest = await publishableManifest(store, image, signal);
    const summary = `manifest ${manifest.digest}${why}`;
    return { image, manifests: [manifest], named: { descriptor: descriptorOf(manifest) }, summary };
  };
  const named = target.descriptor;
  const record = await store.images.get(image);
  // The image's own manifest goes as publishable.ts makes it (plain layers gzip'd first).
  if (!named || named.digest === record?.manifest?.digest) return own('');
  if (isIndex(named.mediaType)) return planIndex(store, target, named, own);
  if (!isImageManifest(named.mediaType)) return own(` (${source} names a schema1 manifest)`);
  const stored = await storedManifest(store, named);
  if (stored.missing.length > 0)
    return own(` (manifest ${named.digest} names blobs this store does not hold)`);
  const manifests = [stored.publishable];
  return { image, manifests, named: { descriptor: named }, summary: `manifest ${named.digest}` };
}

function descriptorOf(manifest: Publishable): Descriptor {
  return { mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.bytes.length };
}

/** A stored manifest as it is, and the blobs it names that the store lacks. */
async function storedManifest(
  store: Store,
  descriptor: Descriptor,
): Promise<{ publishable: Publishable; missing: Digest[] }> {
  const bytes = await store.content.read(descriptor.digest);
  const manifest = parseImageManifest(bytes);
  const missing: Digest[] = [];
  for (const blob of [manifest.config, ...(manifest.layers as ManifestDescriptor[])])
    if (!(await store.content.has(blob.digest))) missing.push(blob.digest);
  const { mediaType, digest } = descriptor;
  return { publishable: { mediaType, digest, bytes, manifest }, missing };
}

async function planIndex(
  store: Store,
  target: ReferenceTarget,
  named: Descriptor,
  own: (why: string) => Promise<PushPlan>,
): Promise<PushPlan> {
  const held = await heldIndex(store, named);
  if (held.lacking === 0) {
    const count = held.manifests.length;
    return {
      image: target.image,
      manifests: held.manifests.map(({ descriptor, bytes, manifest }) => ({
        mediaType: descriptor.mediaType,
        digest: descriptor.digest,
        bytes,
        manifest,
      })),
      index: { mediaType: named.mediaType, digest: named.digest, bytes: held.bytes },
      named: { descriptor: named, ...(target.manifest && { manifest: target.manifest }) },
      summary: `index ${named.digest} with all ${count} of its manifests`,
    };
  }
  const entries = parseImageIndex(held.bytes).manifests;
  const chosen = target.manifest;
  const entry = entries.find((e) => e.digest === chosen?.digest);
  const platform = entry?.platform ? ` for ${formatPlatform(entry.platform)}` : '';
  const alone = ` alone: this store holds ${entries.length - held.lacking} of the ${entries.length} manifests index ${named.digest} lists`;
  if (!chosen) return own(alone);
  const stored = await storedManifest(store, chosen);
  if (stored.missing.length > 0) return own(`${platform}${alone}`);
  return {
    image: target.image,
    manifests: [stored.publishable],
    named: { descriptor: chosen },
    summary: `manifest ${chosen.digest}${platform}${alone}`,
  };
}
