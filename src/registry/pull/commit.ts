/**
 * The last step of a pull, the one that makes the image visible: its layers are registered on the
 * stored blobs, extracted when asked (a layer refused there leaves no image), the registry's
 * manifest (and index) stored byte for byte for the references to name, and the image committed
 * with its references and (schema1) legacy IDs — all through the pull's ImageWrite, which takes
 * back what was added when any of it fails. The manifest is the image's own too when it
 * describes the stored blobs exactly.
 */
import type { Digest } from '../../core/digest.ts';
import type { NamedReference } from '../../core/reference.ts';
import type { Descriptor, ImageRecord, ImageWrite } from '../../store/index.ts';
import type { ProgressListener } from '../progress.ts';
import type { LayerSource } from './layers.ts';

export interface PulledImage {
  configBytes: Uint8Array;
  /** Layers base first, with the DiffIDs the config lists. */
  layers: readonly LayerSource[];
  diffIds: readonly Digest[];
  /** The registry's manifest (schema2 and OCI), and the index the reference named, if any. */
  pulled?: { manifest: PulledManifest; index?: PulledManifest };
  /** Whether the manifest describes the stored blobs exactly (then it is the image's own). */
  ownManifest?: boolean;
  references: readonly NamedReference[];
  /** Records the image's legacy IDs once its ID is known (schema1). */
  legacyIds?: (image: Digest) => Promise<void>;
}

/** A manifest or index as the registry served it. */
export interface PulledManifest {
  mediaType: string;
  digest: Digest;
  bytes: Buffer;
}

/** Store a pulled manifest or index as a blob of this write. */
async function storeManifest(write: ImageWrite, pulled: PulledManifest): Promise<Descriptor> {
  const { digest, bytes, mediaType } = pulled;
  const put = await write.store.content.put(bytes, { digest, size: bytes.length });
  await write.noteBlob(digest, put.existed);
  return { mediaType, digest, size: bytes.length };
}

export async function commitPull(
  write: ImageWrite,
  image: PulledImage,
  options: { unpack?: boolean; onProgress?: ProgressListener; signal?: AbortSignal },
): Promise<ImageRecord> {
  const { store } = write;
  let parent: Digest | undefined;
  for (const [i, layer] of image.layers.entries()) {
    const record = await write.registerLayer(parent, layer.blob, {
      expectedDiffId: image.diffIds[i]!,
    });
    parent = record.chainId;
    options.onProgress?.({ type: 'layer', digest: layer.blob, status: 'done' });
  }
  if (options.unpack && parent) await store.snapshots.ensure(parent);
  const manifest = image.pulled && (await storeManifest(write, image.pulled.manifest));
  const index = image.pulled?.index && (await storeManifest(write, image.pulled.index));
  return write.commit({
    config: image.configBytes,
    ...(manifest && image.ownManifest && { manifest }),
    ...(manifest && { named: index ? { descriptor: index, manifest } : { descriptor: manifest } }),
    references: image.references,
    ...(image.legacyIds && { legacyIds: image.legacyIds }),
  });
}
