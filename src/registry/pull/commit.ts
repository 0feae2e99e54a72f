/**
 * The last step of a pull, the only one that changes what the store shows: downloaded blobs move
 * into place with what they hold and where they came from, layers are registered, the config (and
 * the registry's manifest, when every blob it names is stored) written, the image created and the
 * references set. A failure takes back what this step added.
 */
import type { Digest } from '../../core/digest.ts';
import { chainIdStep } from '../../core/ids.ts';
import type { NamedReference } from '../../core/reference.ts';
import { Additions, type ImageRecord, type Store } from '../../store/index.ts';
import type { ProgressListener } from '../progress.ts';
import type { LayerSource } from './layers.ts';

export interface PulledImage {
  /** Where the blobs came from (`host/path`), recorded for later cross-repository mounts. */
  source: string;
  configBytes: Uint8Array;
  /** Layers base first, with the DiffIDs the config lists. */
  layers: readonly LayerSource[];
  diffIds: readonly Digest[];
  /** The manifest to keep with the image, when it describes the stored blobs exactly. */
  manifest?: { mediaType: string; digest: Digest; bytes: Buffer };
  references: readonly NamedReference[];
}

export async function commitPull(
  store: Store,
  image: PulledImage,
  options: { unpack?: boolean; onProgress?: ProgressListener; signal?: AbortSignal },
): Promise<ImageRecord> {
  const added = new Additions();
  const committed = new Set<Digest>();
  try {
    let parent: Digest | undefined;
    for (const [i, layer] of image.layers.entries()) {
      const expectedDiffId = image.diffIds[i]!;
      // A blob found in the store keeps what is known of it; its source may not hold it.
      if (layer.downloaded && !committed.has(layer.blob)) {
        committed.add(layer.blob);
        const stored = await layer.downloaded.partial.commit();
        if (!stored.existed) added.blobs.push(layer.blob);
        const sources = [image.source];
        if (layer.info) await store.layers.recordBlobInfo(layer.blob, { ...layer.info, sources });
        else await store.layers.claimDiffId(layer.blob, expectedDiffId, sources);
      }
      const existed = await store.layers.get(chainIdStep(parent, expectedDiffId));
      const record = await store.layers.registerBlob(parent, layer.blob, { expectedDiffId });
      if (!existed) added.layers.push(record.chainId);
      parent = record.chainId;
      options.onProgress?.({ type: 'layer', digest: layer.blob, status: 'done' });
    }
    // Extracted before the image is recorded: a layer refused here (a bomb) leaves no image.
    if (options.unpack && parent) await store.snapshots.ensure(parent);
    const { manifest } = image;
    if (manifest) {
      const put = await store.content.put(manifest.bytes, {
        digest: manifest.digest,
        size: manifest.bytes.length,
      });
      if (!put.existed) added.blobs.push(manifest.digest);
    }
    const record = await store.images.create(image.configBytes, {
      ...(manifest && {
        manifest: {
          mediaType: manifest.mediaType,
          digest: manifest.digest,
          size: manifest.bytes.length,
        },
      }),
    });
    for (const r of image.references) await store.references.set(r, record.id);
    return record;
  } catch (err) {
    await added.undo(store);
    throw err;
  }
}
