/**
 * The last step of a pull, the one that makes the image visible: its layers are registered on the
 * stored blobs, extracted when asked (a layer refused there leaves no image), the registry's
 * manifest stored when it describes the stored blobs exactly, and the image committed with its
 * references and (schema1) legacy IDs — all through the pull's ImageWrite, which takes back what
 * was added when any of it fails.
 */
import type { Digest } from '../../core/digest.ts';
import type { NamedReference } from '../../core/reference.ts';
import type { ImageRecord, ImageWrite } from '../../store/index.ts';
import type { ProgressListener } from '../progress.ts';
import type { LayerSource } from './layers.ts';

export interface PulledImage {
  configBytes: Uint8Array;
  /** Layers base first, with the DiffIDs the config lists. */
  layers: readonly LayerSource[];
  diffIds: readonly Digest[];
  /** The manifest to keep with the image, when it describes the stored blobs exactly. */
  manifest?: { mediaType: string; digest: Digest; bytes: Buffer };
  references: readonly NamedReference[];
  /** Records the image's legacy IDs once its ID is known (schema1). */
  legacyIds?: (image: Digest) => Promise<void>;
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
  const { manifest } = image;
  if (manifest) {
    const put = await store.content.put(manifest.bytes, {
      digest: manifest.digest,
      size: manifest.bytes.length,
    });
    await write.noteBlob(manifest.digest, put.existed);
  }
  return write.commit({
    config: image.configBytes,
    ...(manifest && {
      manifest: {
        mediaType: manifest.mediaType,
        digest: manifest.digest,
        size: manifest.bytes.length,
      },
    }),
    references: image.references,
    ...(image.legacyIds && { legacyIds: image.legacyIds }),
  });
}
