/**
 * Loading OCI image layouts into the store: from a directory here, from an oci-archive through
 * another `BlobSource`. Every blob is copied with its digest and size verified, every layer's
 * DiffID checked against the config, all before any image or reference is created; a failure
 * removes what this load added, so the store is as it was. An entry that is an index makes the
 * image for the platform, and its reference names the index, whose other manifests the layout
 * holds are kept as content (store/index-content.ts), as a pull of every platform keeps them.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { DecompressOptions } from '../../archive/compression/index.ts';
import { withReadStream } from '../../archive/open-read-stream.ts';
import { parseDigest, type Digest } from '../../core/digest.ts';
import { isShaleError, ShaleError } from '../../core/errors.ts';
import { parseImageConfig } from '../../core/image-config.ts';
import {
  hostPlatform,
  manifestBlobs,
  parseImageIndex,
  parseImageManifest,
  platformMatches,
  type ManifestDescriptor,
  type Platform,
} from '../../core/manifest.ts';
import { isImageManifest, isIndex } from '../../core/media-types.ts';
import type { ImageWrite, Store } from '../../store/index.ts';
import { registerLayers, type RegisterLayersOptions } from '../load/register-layers.ts';
import { loadStaged, type LoadedImage, type StagedImage } from '../load/staged.ts';
import { referenceForEntry } from './names.ts';

export interface LoadOptions {
  /** Repository for entries named by a bare tag (`latest`). */
  name?: string;
  platform?: Platform;
  /** Decompression-bomb guard for layers (default: the decompression defaults). */
  limits?: DecompressOptions;
  /**
   * Decompress every compressed layer now to check the DiffID its config names; by default the
   * claim is recorded and checked by the first read that decompresses the layer (as pull does).
   */
  verifyDiffIds?: boolean;
  /** Told of each new layer's registration, as Docker's load shows `Loading layer`. */
  onLayer?: RegisterLayersOptions['onLayer'];
  signal?: AbortSignal;
}

export type { LoadedImage };

/** Where a layout's blobs come from; `copy` puts one into the store, verified. */
export interface BlobSource {
  copy(descriptor: ManifestDescriptor): Promise<void>;
}

/** Blobs of a layout directory (`blobs/<alg>/<hex>`). */
class DirectoryBlobs implements BlobSource {
  constructor(
    private readonly dir: string,
    private readonly write: ImageWrite,
    private readonly signal?: AbortSignal,
  ) {}

  private blobPath(digest: Digest): string {
    const { algorithm, hex } = parseDigest(digest);
    return path.join(this.dir, 'blobs', algorithm, hex);
  }

  async copy(descriptor: ManifestDescriptor): Promise<void> {
    const { digest, size } = descriptor;
    const { content } = this.write.store;
    if (await content.has(digest)) {
      await this.write.noteBlob(digest, true); // keep it out of a concurrent prune
      return;
    }
    const ingest = (source: Readable) =>
      content.ingest(source, { digest, size }, { signal: this.signal });
    const stored = await withReadStream(this.blobPath(digest), ingest).catch((err: unknown) => {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new ShaleError('ERR_NOT_FOUND', `the layout has no blob ${digest}`);
      }
      throw err;
    });
    await this.write.noteBlob(digest, stored.existed);
  }
}

async function readBlob(
  store: Store,
  blobs: BlobSource,
  descriptor: ManifestDescriptor,
): Promise<Buffer> {
  await blobs.copy(descriptor);
  return store.content.read(descriptor.digest);
}

async function readIndex(dir: string): Promise<ManifestDescriptor[]> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path.join(dir, 'index.json'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    throw new ShaleError('ERR_NOT_FOUND', `${dir} is not an OCI image layout (no index.json)`);
  }
  return parseImageIndex(bytes, 'index.json').manifests;
}

/** The image manifest an entry names: itself, or the platform's manifest of the index it is. */
async function selectManifest(
  store: Store,
  blobs: BlobSource,
  entry: ManifestDescriptor,
  platform: Platform,
): Promise<{ manifest: ManifestDescriptor; others: ManifestDescriptor[] }> {
  if (isImageManifest(entry.mediaType)) return { manifest: entry, others: [] };
  if (!isIndex(entry.mediaType))
    throw new ShaleError(
      'ERR_UNSUPPORTED',
      `index entry ${entry.digest} has unsupported media type ${entry.mediaType}`,
    );
  const nested = parseImageIndex(await readBlob(store, blobs, entry))
    .manifests as ManifestDescriptor[];
  const match = nested.find(
    (m) => isImageManifest(m.mediaType) && platformMatches(m.platform, platform),
  );
  if (!match)
    throw new ShaleError(
      'ERR_NOT_FOUND',
      `index ${entry.digest} has no image for ${platform.os}/${platform.architecture}`,
    );
  return { manifest: match, others: nested.filter((m) => m !== match) };
}

/**
 * The other manifests of an index the layout holds whole (with every blob they name), stored as
 * content as `pull --all-platforms` stores them, so that a push sends the index itself; one the
 * layout lacks, or an entry that is itself an index, is left out (a push then sends the chosen
 * manifest alone, and says so).
 */
async function storeOtherManifests(
  store: Store,
  blobs: BlobSource,
  others: readonly ManifestDescriptor[],
): Promise<void> {
  for (const other of others) {
    if (!isImageManifest(other.mediaType)) continue;
    try {
      const manifest = parseImageManifest(await readBlob(store, blobs, other));
      for (const blob of manifestBlobs(manifest)) await blobs.copy(blob);
    } catch (err) {
      if (!isShaleError(err, 'ERR_NOT_FOUND')) throw err;
    }
  }
}

async function stageImage(
  write: ImageWrite,
  blobs: BlobSource,
  entry: ManifestDescriptor,
  options: LoadOptions,
): Promise<StagedImage> {
  const { store } = write;
  const platform = options.platform ?? hostPlatform();
  const { manifest: manifestDescriptor, others } = await selectManifest(
    store,
    blobs,
    entry,
    platform,
  );
  await storeOtherManifests(store, blobs, others);
  const manifest = parseImageManifest(await readBlob(store, blobs, manifestDescriptor));
  const config = await readBlob(store, blobs, manifest.config);
  const { config: parsed } = parseImageConfig(config);
  const layers = manifest.layers as ManifestDescriptor[];
  for (const layer of layers) await blobs.copy(layer);
  await registerLayers(
    write,
    `image ${manifestDescriptor.digest}`,
    layers.map((l, i) => ({ blob: l.digest, origin: `layer ${i + 1}` })),
    parsed.rootfs.diff_ids,
    options,
  );
  const ref = referenceForEntry(entry.annotations, options.name);
  const { mediaType, digest, size } = manifestDescriptor;
  const manifestOf = { mediaType, digest, size };
  return {
    config,
    manifest: manifestOf,
    ...(manifestDescriptor !== entry && {
      named: {
        descriptor: { mediaType: entry.mediaType, digest: entry.digest, size: entry.size },
        manifest: manifestOf,
      },
    }),
    references: ref ? [ref] : [],
  };
}

/** Stage every image an OCI index lists, its blobs coming from `blobs`. */
export async function stageOciImages(
  write: ImageWrite,
  blobs: BlobSource,
  entries: ManifestDescriptor[],
  options: LoadOptions,
): Promise<StagedImage[]> {
  const staged: StagedImage[] = [];
  for (const entry of entries) staged.push(await stageImage(write, blobs, entry, options));
  return staged;
}

/** Load every image of the layout at `dir`; returns each image with the references set for it. */
export async function loadOciLayout(
  store: Store,
  dir: string,
  options: LoadOptions = {},
): Promise<LoadedImage[]> {
  return loadStaged(store, async (write) =>
    stageOciImages(
      write,
      new DirectoryBlobs(dir, write, options.signal),
      await readIndex(dir),
      options,
    ),
  );
}
