/**
 * Writing images as an OCI image layout (the content of an oci-archive, or an oci-dir): each tag
 * with the manifest its reference names, byte for byte (so its digest is stable; for a reference
 * to an index, the index when the store holds all of it, else the manifest chosen from it), an
 * image saved by ID with its own manifest; configs
 * and layer blobs as stored (compressed as received), every blob once. `index.json` names each
 * tag by its full reference in both `org.opencontainers.image.ref.name` and
 * `io.containerd.image.name` (DESIGN.md); an image saved by ID is listed without a name.
 */
import { parseDigest, type Digest } from '../../core/digest.ts';
import { ShaleError } from '../../core/errors.ts';
import { manifestBlobs, parseImageManifest } from '../../core/manifest.ts';
import { Annotations, isIndex, MediaTypes } from '../../core/media-types.ts';
import type { NamedReference } from '../../core/reference.ts';
import { heldIndex, type Descriptor, type Store } from '../../store/index.ts';
import type { SaveItem } from '../save/select.ts';
import { OCI_LAYOUT_MARKER, type LayoutSink } from '../save/sink.ts';

interface ImagePlan {
  /** Each tag with its manifest; one entry without a tag for an image saved by ID. */
  entries: { tag?: NamedReference; manifest: Descriptor }[];
  /** Manifests, configs and layers. */
  blobs: Descriptor[];
}

async function checkStored(store: Store, image: Digest, blob: Descriptor): Promise<void> {
  const size = await store.content.size(blob.digest);
  if (size === blob.size) return;
  throw new ShaleError(
    'ERR_NOT_FOUND',
    size === undefined
      ? `image ${image}: blob ${blob.digest} is not in the store (pull the image again)`
      : `image ${image}: blob ${blob.digest} is ${size} bytes, its manifest says ${blob.size}`,
  );
}

/**
 * What the tag's reference names: an index the store holds whole (store/index-content.ts), with
 * every blob under it; else the image manifest it reaches.
 */
async function taggedManifest(
  store: Store,
  tag: NamedReference,
  id: Digest,
): Promise<{ manifest: Descriptor; under?: Descriptor[] }> {
  const target = await store.references.target(tag);
  if (!target) return { manifest: await store.images.manifestOf(id) };
  const named = target.descriptor;
  if (named && isIndex(named.mediaType)) {
    const held = await heldIndex(store, named);
    if (held.lacking === 0) {
      const under = held.manifests.flatMap(({ descriptor, manifest }) => [
        descriptor,
        ...manifestBlobs(manifest),
      ]);
      return { manifest: named, under };
    }
  }
  return { manifest: await store.references.imageManifestOf(target) };
}

async function planImage(store: Store, item: SaveItem): Promise<ImagePlan> {
  const entries: ImagePlan['entries'] = [];
  const blobs: Descriptor[] = [];
  for (const tag of item.tags) {
    const { manifest, under } = await taggedManifest(store, tag, item.id);
    entries.push({ tag, manifest });
    if (under) blobs.push(manifest, ...under);
  }
  if (entries.length === 0) entries.push({ manifest: await store.images.manifestOf(item.id) });
  const manifests = entries.map((e) => e.manifest).filter((m) => !isIndex(m.mediaType));
  for (const manifest of new Map(manifests.map((m) => [m.digest, m])).values()) {
    const parsed = parseImageManifest(await store.content.read(manifest.digest));
    blobs.push(manifest, ...manifestBlobs(parsed));
  }
  for (const blob of blobs) await checkStored(store, item.id, blob);
  return { entries, blobs };
}

function indexJson(plans: ImagePlan[]): Buffer {
  const manifests = plans.flatMap(({ entries }) =>
    entries.map(({ tag, manifest: { mediaType, digest, size } }) => ({
      mediaType,
      digest,
      size,
      ...(tag && {
        annotations: {
          [Annotations.refName]: tag.toString(),
          [Annotations.containerdName]: tag.toString(),
        },
      }),
    })),
  );
  return Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests }),
  );
}

/** Write the images of `items` as an OCI image layout into `sink`. */
export async function writeOciLayout(
  store: Store,
  items: readonly SaveItem[],
  sink: LayoutSink,
): Promise<void> {
  const plans: ImagePlan[] = [];
  for (const item of items) plans.push(await planImage(store, item));
  await sink.file('oci-layout', OCI_LAYOUT_MARKER, { size: OCI_LAYOUT_MARKER.length });
  const index = indexJson(plans);
  await sink.file('index.json', index, { size: index.length });
  await sink.directory('blobs');
  const written = new Set<Digest>();
  const algorithms = new Set<string>();
  for (const blob of plans.flatMap((p) => p.blobs)) {
    if (written.has(blob.digest)) continue;
    written.add(blob.digest);
    const { algorithm, hex } = parseDigest(blob.digest);
    if (!algorithms.has(algorithm)) await sink.directory(`blobs/${algorithm}`);
    algorithms.add(algorithm);
    await sink.file(`blobs/${algorithm}/${hex}`, store.content.open(blob.digest), {
      size: blob.size,
    });
  }
}
