/**
 * Loading an OCI image layout directory into the store. Every blob is copied with its digest and
 * size verified, every layer's DiffID checked against the config, all before any image or
 * reference is created; a failure removes what this load added, so the store is as it was.
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseDigest, type Digest } from '../../core/digest.ts';
import { ShaleError } from '../../core/errors.ts';
import { chainIdStep } from '../../core/ids.ts';
import { parseImageConfig } from '../../core/image-config.ts';
import {
  hostPlatform,
  parseImageIndex,
  parseImageManifest,
  platformMatches,
  type ManifestDescriptor,
  type Platform,
} from '../../core/manifest.ts';
import { isImageManifest, isIndex } from '../../core/media-types.ts';
import { Additions, touch, withLease, type Store } from '../../store/index.ts';
import { referenceForEntry } from './names.ts';

export interface LoadOptions {
  /** Repository for entries named by a bare tag (`latest`). */
  name?: string;
  platform?: Platform;
  signal?: AbortSignal;
}

export interface LoadedImage {
  id: Digest;
  references: string[];
}

class LayoutReader {
  constructor(
    private readonly dir: string,
    private readonly store: Store,
    private readonly added: Additions,
    private readonly signal?: AbortSignal,
  ) {}

  private blobPath(digest: Digest): string {
    const { algorithm, hex } = parseDigest(digest);
    return path.join(this.dir, 'blobs', algorithm, hex);
  }

  /** Copy one blob into the store, verified against its descriptor. */
  async copy(descriptor: ManifestDescriptor): Promise<void> {
    const { digest, size } = descriptor;
    if (await this.store.content.has(digest)) {
      await touch(this.store.content.blobPath(digest)); // keep it out of a concurrent prune
      return;
    }
    let source;
    try {
      source = createReadStream(this.blobPath(digest), { highWaterMark: 1 << 20 });
      await this.store.content.ingest(source, { digest, size }, this.signal);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new ShaleError('ERR_NOT_FOUND', `the layout has no blob ${digest}`);
      }
      throw err;
    }
    this.added.blobs.push(digest);
  }

  async read(descriptor: ManifestDescriptor): Promise<Buffer> {
    await this.copy(descriptor);
    return this.store.content.read(descriptor.digest);
  }
}

async function readIndex(dir: string): Promise<ManifestDescriptor[]> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path.join(dir, 'index.json'));
  } catch {
    throw new ShaleError('ERR_NOT_FOUND', `${dir} is not an OCI image layout (no index.json)`);
  }
  return parseImageIndex(bytes, 'index.json').manifests;
}

async function selectManifest(
  reader: LayoutReader,
  entry: ManifestDescriptor,
  platform: Platform,
): Promise<ManifestDescriptor> {
  if (isImageManifest(entry.mediaType)) return entry;
  if (!isIndex(entry.mediaType))
    throw new ShaleError(
      'ERR_UNSUPPORTED',
      `index entry ${entry.digest} has unsupported media type ${entry.mediaType}`,
    );
  const nested = parseImageIndex(await reader.read(entry)).manifests as ManifestDescriptor[];
  const match = nested.find(
    (m) => isImageManifest(m.mediaType) && platformMatches(m.platform, platform),
  );
  if (!match)
    throw new ShaleError(
      'ERR_NOT_FOUND',
      `index ${entry.digest} has no image for ${platform.os}/${platform.architecture}`,
    );
  return match;
}

interface Staged {
  entry: ManifestDescriptor;
  manifest: ManifestDescriptor;
  config: Buffer;
}

async function stageImage(
  reader: LayoutReader,
  store: Store,
  added: Additions,
  entry: ManifestDescriptor,
  platform: Platform,
): Promise<Staged> {
  const manifestDescriptor = await selectManifest(reader, entry, platform);
  const manifest = parseImageManifest(await reader.read(manifestDescriptor));
  const config = await reader.read(manifest.config);
  const { config: parsed } = parseImageConfig(config);
  if (parsed.rootfs.diff_ids.length !== manifest.layers.length) {
    throw new ShaleError(
      'ERR_INVALID_ARGUMENT',
      `image ${manifestDescriptor.digest}: the manifest lists ${manifest.layers.length} layers but the config ${parsed.rootfs.diff_ids.length} diff_ids`,
    );
  }
  let parent: Digest | undefined;
  for (const [i, layer] of (manifest.layers as ManifestDescriptor[]).entries()) {
    await reader.copy(layer);
    const existed = await store.layers.get(chainIdStep(parent, parsed.rootfs.diff_ids[i]!));
    const record = await store.layers.registerBlob(parent, layer.digest, {
      expectedDiffId: parsed.rootfs.diff_ids[i],
    });
    if (!existed) added.layers.push(record.chainId);
    parent = record.chainId;
  }
  return { entry, manifest: manifestDescriptor, config };
}

/** Load every image of the layout at `dir`; returns each image with the references set for it. */
export async function loadOciLayout(
  store: Store,
  dir: string,
  options: LoadOptions = {},
): Promise<LoadedImage[]> {
  return withLease(store.layout, () => loadUnderLease(store, dir, options));
}

async function loadUnderLease(
  store: Store,
  dir: string,
  options: LoadOptions,
): Promise<LoadedImage[]> {
  const platform = options.platform ?? hostPlatform();
  const entries = await readIndex(dir);
  const added = new Additions();
  const reader = new LayoutReader(dir, store, added, options.signal);
  const staged: Staged[] = [];
  try {
    for (const entry of entries)
      staged.push(await stageImage(reader, store, added, entry, platform));
  } catch (err) {
    await added.undo(store);
    throw err;
  }
  const loaded: LoadedImage[] = [];
  for (const { entry, manifest, config } of staged) {
    const image = await store.images.create(config, {
      manifest: { mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.size },
    });
    const ref = referenceForEntry(entry.annotations, options.name);
    if (ref) await store.references.set(ref, image.id);
    const existing = loaded.find((l) => l.id === image.id);
    if (existing) {
      if (ref) existing.references.push(ref.toString());
    } else {
      loaded.push({ id: image.id, references: ref ? [ref.toString()] : [] });
    }
  }
  return loaded;
}
