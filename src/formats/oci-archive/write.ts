/**
 * Writing images as an OCI image layout (the content of an oci-archive, or an oci-dir): each
 * image's manifest exactly as stored (so its digest is stable), its config and its layer blobs
 * as stored (compressed as received), every blob once. `index.json` names each tagged image by
 * its full reference in both `org.opencontainers.image.ref.name` and `io.containerd.image.name`
 * (DESIGN.md); an untagged image is listed without a name.
 */
import { parseDigest, type Digest } from '../../core/digest.ts';
import { ShaleError } from '../../core/errors.ts';
import { parseImageManifest, type ManifestDescriptor } from '../../core/manifest.ts';
import { Annotations, MediaTypes } from '../../core/media-types.ts';
import type { Descriptor, Store } from '../../store/index.ts';
import type { SaveItem } from '../save/select.ts';
import { OCI_LAYOUT_MARKER, type LayoutSink } from '../save/sink.ts';

interface ImagePlan {
  item: SaveItem;
  manifest: Descriptor;
  /** Manifest, config and layers. */
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

async function planImage(store: Store, item: SaveItem): Promise<ImagePlan> {
  const manifest = await store.images.manifestOf(item.id);
  const parsed = parseImageManifest(await store.content.read(manifest.digest));
  const blobs: Descriptor[] = [manifest, parsed.config, ...(parsed.layers as ManifestDescriptor[])];
  for (const blob of blobs) await checkStored(store, item.id, blob);
  return { item, manifest, blobs };
}

function indexJson(plans: ImagePlan[]): Buffer {
  const manifests = plans.flatMap(({ item, manifest }) => {
    const { mediaType, digest, size } = manifest;
    if (item.tags.length === 0) return [{ mediaType, digest, size }];
    return item.tags.map((tag) => ({
      mediaType,
      digest,
      size,
      annotations: {
        [Annotations.refName]: tag.toString(),
        [Annotations.containerdName]: tag.toString(),
      },
    }));
  });
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
