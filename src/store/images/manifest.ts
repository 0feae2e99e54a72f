/**
 * The manifest an image is published with. Images that arrived with a manifest keep it; for
 * images made here (import, commit) an OCI manifest is written from the config and one stored
 * blob per layer (gzip preferred, then zstd, then the plain tar), so that every tagged image is
 * readable through the OCI layout.
 */
import type { Digest } from '../../core/digest.ts';
import { ShaleError } from '../../core/errors.ts';
import { ociManifestBytes } from '../../core/manifest.ts';
import { layerCompression, MediaTypes, ociLayerMediaType } from '../../core/media-types.ts';
import type { ContentStore } from '../content/index.ts';
import type { LayerStore } from '../layers/index.ts';

export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
}

const PREFERENCE = ['gzip', 'zstd', 'none'];

async function layerDescriptor(
  content: ContentStore,
  layers: LayerStore,
  diffId: Digest,
): Promise<Descriptor> {
  const candidates: Descriptor[] = [];
  for (const blob of await layers.blobsOf(diffId)) {
    const info = await layers.blobInfo(blob);
    const size = await content.size(blob);
    const mediaType = info && ociLayerMediaType(info.compression);
    if (mediaType && size !== undefined) candidates.push({ mediaType, digest: blob, size });
  }
  const rank = (d: Descriptor) => PREFERENCE.indexOf(layerCompression(d.mediaType)!);
  candidates.sort((a, b) => rank(a) - rank(b));
  const best = candidates[0];
  if (!best)
    throw new ShaleError(
      'ERR_NOT_FOUND',
      `layer ${diffId} has no stored blob in a format OCI can name`,
    );
  return best;
}

/** Write an OCI manifest for an image and return its descriptor. */
export async function synthesizeManifest(
  content: ContentStore,
  layers: LayerStore,
  config: { id: Digest; size: number; diffIds: readonly Digest[] },
): Promise<Descriptor> {
  const layerDescriptors: Descriptor[] = [];
  for (const diffId of config.diffIds)
    layerDescriptors.push(await layerDescriptor(content, layers, diffId));
  const bytes = ociManifestBytes({ digest: config.id, size: config.size }, layerDescriptors);
  const { digest, size } = await content.put(bytes);
  return { mediaType: MediaTypes.ociManifest, digest, size };
}
