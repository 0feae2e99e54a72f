/**
 * The manifest an image is pushed with: the one it arrived with, byte for byte (so a pulled image
 * pushed unchanged keeps its digest), except that layers stored only as plain tars (from import
 * or commit) are gzip'd first (from a verifying read of the plain tar). The gzip'd blob is recorded like any other form of the layer, so
 * the next push reuses it and yields the same manifest digest.
 */
import { pipeline } from 'node:stream/promises';
import { compressStream } from '../../archive/compression/index.ts';
import type { Digest } from '../../core/digest.ts';
import {
  parseImageManifest,
  type ImageManifest,
  type ManifestDescriptor,
} from '../../core/manifest.ts';
import { MediaTypes, layerCompression } from '../../core/media-types.ts';
import type { Store } from '../../store/index.ts';

export interface Publishable {
  mediaType: string;
  digest: Digest;
  bytes: Buffer;
  manifest: ImageManifest;
}

/** The image's manifest with every layer in a compressed form. */
export async function publishableManifest(
  store: Store,
  id: Digest,
  signal?: AbortSignal,
): Promise<Publishable> {
  const descriptor = await store.images.manifestOf(id);
  const bytes = await store.content.read(descriptor.digest);
  const manifest = parseImageManifest(bytes);
  if (manifest.layers.every((l) => layerCompression(l.mediaType) !== 'none')) {
    return { mediaType: descriptor.mediaType, digest: descriptor.digest, bytes, manifest };
  }
  const layers: ManifestDescriptor[] = [];
  for (const layer of manifest.layers as ManifestDescriptor[]) {
    layers.push(
      layerCompression(layer.mediaType) === 'none' ? await gzipped(store, layer, signal) : layer,
    );
  }
  const rewritten = {
    schemaVersion: 2 as const,
    mediaType: MediaTypes.ociManifest,
    config: { ...manifest.config, mediaType: MediaTypes.ociConfig },
    layers,
  };
  const out = Buffer.from(JSON.stringify(rewritten));
  const { digest } = await store.content.put(out);
  return { mediaType: MediaTypes.ociManifest, digest, bytes: out, manifest: rewritten };
}

/** A gzip'd blob of the plain layer `layer`: one recorded earlier, or made now. */
async function gzipped(
  store: Store,
  layer: ManifestDescriptor,
  signal?: AbortSignal,
): Promise<ManifestDescriptor> {
  const info = await store.layers.describeBlob(layer.digest, signal);
  for (const blob of await store.layers.blobsOf(info.diffId)) {
    const other = await store.layers.blobInfo(blob);
    const size = await store.content.size(blob);
    if (other?.compression === 'gzip' && size !== undefined) {
      return { mediaType: MediaTypes.ociLayerGzip, digest: blob, size };
    }
  }
  const gzip = await compressStream('gzip');
  // The plain blob is verified as it is read: a damaged one fails the pipeline at its end, which
  // fails the ingest of the gzip (nothing is stored); the pipeline's error is the one to report.
  const compressed = pipeline(store.content.open(layer.digest), gzip, { signal });
  const [written] = await Promise.all([
    store.content.ingest(gzip, undefined, { signal }).catch(async (err: unknown) => {
      await compressed;
      throw err;
    }),
    compressed,
  ]);
  await store.layers.recordBlobInfo(written.digest, {
    diffId: info.diffId,
    compression: 'gzip',
    uncompressedSize: info.uncompressedSize,
  });
  return { mediaType: MediaTypes.ociLayerGzip, digest: written.digest, size: written.size };
}
