/**
 * `pull`: an image from a registry into the store. The manifest (for this platform) and config
 * are fetched and checked, the layers download in parallel into resumable partials, each verified
 * by digest, size and DiffID against the config — and only then does anything become visible:
 * blobs, layer records, the image, its tag and digest reference, all under a lease. A failure
 * leaves the store as it was (partial downloads stay in the ingest area for the next attempt).
 */
import { createHash } from 'node:crypto';
import { digestOf, type Digest } from '../../core/digest.ts';
import { ShaleError } from '../../core/errors.ts';
import { parseImageConfig, type ParsedImageConfig } from '../../core/image-config.ts';
import { hostPlatform, type ManifestDescriptor, type Platform } from '../../core/manifest.ts';
import { chainIdStep } from '../../core/ids.ts';
import {
  parseDockerRef,
  trimNamed,
  withDigest,
  type NamedReference,
} from '../../core/reference.ts';
import { Additions, touch, withLease, type Store } from '../../store/index.ts';
import type { RegistryClient } from '../client.ts';
import type { ProgressListener } from '../progress.ts';
import { runPool } from '../pool.ts';
import { RemoteRepository } from '../repository.ts';
import { downloadBlob, type Downloaded } from './download.ts';
import { resolveManifest, type ResolvedManifest } from './resolve.ts';

export interface PullOptions {
  /** Platform to pick from an index (default: this machine's). */
  platform?: Platform;
  /** Blobs downloading at once (default 3). */
  concurrency?: number;
  /** Also materialise the image's layer snapshots. */
  unpack?: boolean;
  onProgress?: ProgressListener;
  signal?: AbortSignal;
}

export interface PullResult {
  id: Digest;
  /** Digest of the image manifest that was pulled. */
  digest: Digest;
  /** References now naming the image (the tag, and `name@digest`). */
  references: string[];
}

const MAX_CONFIG_BYTES = 8 << 20;

/** What one layer of the manifest turned into: a download, or a blob the store already had. */
type LayerSource = { blob: Digest; downloaded?: Downloaded };

export async function pullImage(
  store: Store,
  client: RegistryClient,
  reference: string | NamedReference,
  options: PullOptions = {},
): Promise<PullResult> {
  const ref = typeof reference === 'string' ? parseDockerRef(reference) : reference;
  const repo = new RemoteRepository(client, ref, ['pull']);
  options.onProgress?.({ type: 'resolving', reference: ref.toString() });
  const resolved = await resolveManifest(
    repo,
    ref.digest ?? ref.tag ?? 'latest',
    options.platform ?? hostPlatform(),
  );
  options.onProgress?.({ type: 'resolved', reference: ref.toString(), digest: resolved.digest });
  return withLease(store.layout, async () => {
    const config = await fetchConfig(store, repo, resolved.manifest.config, options.signal);
    const diffIds = config.config.rootfs.diff_ids;
    if (diffIds.length !== resolved.manifest.layers.length) {
      throw new ShaleError(
        'ERR_INVALID_ARGUMENT',
        `${ref.toString()}: the manifest lists ${resolved.manifest.layers.length} layers but the config ${diffIds.length} diff_ids`,
      );
    }
    const layers = await fetchLayers(store, repo, resolved.manifest.layers, diffIds, options);
    try {
      return await commit(store, repo, ref, resolved, config, layers, options);
    } finally {
      for (const layer of layers) await layer.downloaded?.partial.close();
    }
  });
}

/** The config blob, small enough to hold: from the store when present, else downloaded whole. */
async function fetchConfig(
  store: Store,
  repo: RemoteRepository,
  descriptor: ManifestDescriptor,
  signal?: AbortSignal,
): Promise<ParsedImageConfig> {
  if (descriptor.size > MAX_CONFIG_BYTES) {
    throw new ShaleError('ERR_LIMIT', `config ${descriptor.digest} is ${descriptor.size} bytes`);
  }
  const bytes = (await store.content.has(descriptor.digest))
    ? await store.content.read(descriptor.digest, MAX_CONFIG_BYTES)
    : await repo.readBlob(descriptor.digest, descriptor.size, signal);
  const actual = digestOf('sha256', createHash('sha256').update(bytes).digest('hex'));
  if (actual !== descriptor.digest || bytes.length !== descriptor.size) {
    throw new ShaleError(
      'ERR_DIGEST_MISMATCH',
      `config from ${repo.displayName} hashes to ${actual} (${bytes.length} bytes), expected ${descriptor.digest} (${descriptor.size} bytes)`,
    );
  }
  return parseImageConfig(bytes);
}

/** Every layer present or downloaded and verified; on failure, every download closed. */
async function fetchLayers(
  store: Store,
  repo: RemoteRepository,
  descriptors: readonly ManifestDescriptor[],
  diffIds: readonly Digest[],
  options: PullOptions,
): Promise<LayerSource[]> {
  const results: LayerSource[] = [];
  const fetchOne = async (i: number): Promise<void> => {
    const descriptor = descriptors[i]!;
    const present = await presentBlob(store, descriptor.digest, diffIds[i]!, options.signal);
    if (present !== undefined) {
      results[i] = { blob: present };
      options.onProgress?.({ type: 'layer', digest: descriptor.digest, status: 'exists' });
      return;
    }
    const downloaded = await downloadBlob(store, repo, descriptor, { ...options, diffId: true });
    results[i] = { blob: descriptor.digest, downloaded };
    if (downloaded.diffId?.diffId !== diffIds[i]) {
      throw new ShaleError(
        'ERR_DIGEST_MISMATCH',
        `layer ${descriptor.digest} uncompresses to ${downloaded.diffId?.diffId}, but the image config says ${diffIds[i]}`,
      );
    }
  };
  try {
    await runPool(descriptors.length, options.concurrency ?? 3, fetchOne);
  } catch (err) {
    for (const layer of results) await layer?.downloaded?.partial.close();
    throw err;
  }
  return results;
}

/**
 * A stored blob holding this layer: the manifest's own blob, or another compression of the same
 * DiffID (then the download is skipped and the image gets a manifest naming the blob we have).
 */
async function presentBlob(
  store: Store,
  blob: Digest,
  diffId: Digest,
  signal?: AbortSignal,
): Promise<Digest | undefined> {
  if (await store.content.has(blob)) {
    const info = await store.layers.describeBlob(blob, signal);
    if (info.diffId !== diffId) {
      throw new ShaleError(
        'ERR_DIGEST_MISMATCH',
        `layer ${blob} uncompresses to ${info.diffId}, but the image config says ${diffId}`,
      );
    }
    await touch(store.content.blobPath(blob)); // keep it out of a concurrent prune
    return blob;
  }
  for (const other of await store.layers.blobsOf(diffId)) {
    if (await store.content.has(other)) {
      await touch(store.content.blobPath(other));
      return other;
    }
  }
  return undefined;
}

/** Make it all visible: blobs, layer records, config, manifest, image, references. */
async function commit(
  store: Store,
  repo: RemoteRepository,
  ref: NamedReference,
  resolved: ResolvedManifest,
  config: ParsedImageConfig,
  layers: readonly LayerSource[],
  options: PullOptions,
): Promise<PullResult> {
  const added = new Additions();
  const source = repo.sourceName;
  try {
    let parent: Digest | undefined;
    for (const [i, layer] of layers.entries()) {
      const { downloaded } = layer;
      if (downloaded?.diffId) {
        const stored = await downloaded.partial.commit();
        if (!stored.existed) added.blobs.push(layer.blob);
        const { diffId, compression, size } = downloaded.diffId;
        await store.layers.recordBlobInfo(layer.blob, {
          diffId,
          compression,
          uncompressedSize: size,
          sources: [source],
        });
      } else {
        const info = await store.layers.describeBlob(layer.blob, options.signal);
        await store.layers.recordBlobInfo(layer.blob, { ...info, sources: [source] });
      }
      const expectedDiffId = config.config.rootfs.diff_ids[i]!;
      const existed = await store.layers.get(chainIdStep(parent, expectedDiffId));
      const record = await store.layers.registerBlob(parent, layer.blob, { expectedDiffId });
      if (!existed) added.layers.push(record.chainId);
      parent = record.chainId;
      options.onProgress?.({ type: 'layer', digest: layer.blob, status: 'done' });
    }
    // The registry's manifest describes the image only when every one of its blobs is stored.
    const ownBlobs = layers.every((l, i) => l.blob === resolved.manifest.layers[i]!.digest);
    if (ownBlobs) {
      const put = await store.content.put(resolved.bytes, {
        digest: resolved.digest,
        size: resolved.bytes.length,
      });
      if (!put.existed) added.blobs.push(resolved.digest);
    }
    const image = await store.images.create(config.bytes, {
      ...(ownBlobs && {
        manifest: {
          mediaType: resolved.mediaType,
          digest: resolved.digest,
          size: resolved.bytes.length,
        },
      }),
    });
    if (options.unpack && image.topLayer) await store.snapshots.ensure(image.topLayer);
    // The tag (unless the reference pinned a digest, as Docker does) and `name@digest`.
    const byDigest = withDigest(trimNamed(ref), resolved.named);
    const references = ref.digest === undefined ? [ref, byDigest] : [byDigest];
    for (const r of references) await store.references.set(r, image.id);
    options.onProgress?.({
      type: 'done',
      reference: ref.toString(),
      id: image.id,
      digest: resolved.digest,
    });
    return { id: image.id, digest: resolved.digest, references: references.map(String) };
  } catch (err) {
    await added.undo(store);
    throw err;
  }
}
