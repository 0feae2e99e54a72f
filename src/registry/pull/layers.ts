/**
 * Getting every layer of an image ready to register: found in the store (by blob digest, or by
 * DiffID in another compression) or downloaded in parallel into verified partials, each moved
 * into the store (with what is known of it) as soon as it verifies, which frees its partial's
 * lock: a pull never holds one blob while it waits for another, so pulls whose images share
 * blobs in any order cannot wait on each other in a circle. Each distinct blob is fetched once
 * even when the manifest lists it twice. Unknown DiffIDs (schema1) are
 * learned from the bytes as they arrive; known ones (from a config) are by default left for the
 * first read that decompresses the layer to check (blob-index.ts), or checked in flight too when
 * asked (`verifyDiffIds`). Each blob comes from the first of the pull's endpoints that serves it
 * verified (endpoints.ts); the origin is recorded as its source, the endpoint as what served it.
 */
import type { Digest } from '../../core/digest.ts';
import { isShaleError, ShaleError } from '../../core/errors.ts';
import type { BlobInfo, ImageWrite } from '../../store/index.ts';
import { runPool } from '../pool.ts';
import type { ProgressListener } from '../progress.ts';
import type { RemoteRepository } from '../repository.ts';
import { downloadFromFirst, type Downloaded } from './download.ts';
import type { PullEndpoints } from './endpoints.ts';

export interface LayerWanted {
  digest: Digest;
  /** Blob size, when the manifest gives it (schema1 does not: it is asked for with HEAD). */
  size?: number;
  /** The DiffID the image config names, when there is a config to check against. */
  diffId?: Digest;
}

/** A stored layer blob ready to register, with its DiffID and what else is known of it. */
export interface LayerSource {
  blob: Digest;
  diffId: Digest;
  info?: BlobInfo;
}

export interface FetchOptions {
  concurrency?: number;
  /** Decompress layers while they download and check the config's DiffIDs before committing. */
  verifyDiffIds?: boolean;
  onProgress?: ProgressListener;
  signal?: AbortSignal;
}

/** Every layer present or downloaded, verified and stored through `write`, in order. */
export async function fetchLayers(
  write: ImageWrite,
  endpoints: PullEndpoints,
  wanted: readonly LayerWanted[],
  options: FetchOptions,
): Promise<LayerSource[]> {
  const { store } = write;
  const distinct = [...new Map(wanted.map((w) => [w.digest, w])).values()];
  const byDigest = new Map<Digest, LayerSource>();
  const usePresent = async (layer: LayerWanted): Promise<boolean> => {
    const present = await presentBlob(write, layer, options.signal);
    if (present === undefined) return false;
    byDigest.set(layer.digest, present);
    options.onProgress?.({ type: 'layer', digest: layer.digest, status: 'exists' });
    return true;
  };
  // As Docker does: what is stored says so first; the rest wait for a download slot.
  const missing: LayerWanted[] = [];
  for (const layer of distinct) if (!(await usePresent(layer))) missing.push(layer);
  for (const layer of missing)
    options.onProgress?.({ type: 'layer', digest: layer.digest, status: 'waiting' });
  const fetchOne = async (i: number): Promise<void> => {
    const layer = missing[i]!;
    const hashDiffId = layer.diffId === undefined || options.verifyDiffIds === true;
    const { value: downloaded, endpoint } = await downloadFromFirst(store, endpoints, layer, {
      ...options,
      diffId: hashDiffId,
    });
    if (!downloaded) {
      if (await usePresent(layer)) return; // another process stored it while this one waited
      throw new ShaleError('ERR_NOT_FOUND', `blob ${layer.digest} vanished from the store`);
    }
    const origin = endpoints.origin;
    byDigest.set(layer.digest, await storeDownloaded(write, origin, endpoint, layer, downloaded));
    options.onProgress?.({
      type: 'layer',
      digest: layer.digest,
      status: 'downloaded',
      endpoint: endpoint.displayName,
    });
  };
  await runPool(missing.length, options.concurrency ?? 3, fetchOne);
  return wanted.map((w) => byDigest.get(w.digest)!);
}

/**
 * Move a verified download into the store with what is known of it: the DiffID learned from its
 * bytes (checked against the config's), or else the config's claim, the repository it belongs to
 * and, when a mirror of that repository served it, the mirror.
 */
async function storeDownloaded(
  write: ImageWrite,
  origin: RemoteRepository,
  endpoint: RemoteRepository,
  layer: LayerWanted,
  downloaded: Downloaded,
): Promise<LayerSource> {
  const { store } = write;
  const sources = [origin.sourceName];
  const servedBy = endpoint.displayName === origin.displayName ? undefined : endpoint.displayName;
  try {
    const learned = downloaded.diffId;
    if (learned) checkDiffId(layer, learned.diffId);
    const stored = await downloaded.partial.commit();
    await write.noteBlob(layer.digest, stored.existed);
    if (!learned) {
      await store.layers.claimDiffId(layer.digest, layer.diffId!, sources, servedBy);
      return { blob: layer.digest, diffId: layer.diffId! };
    }
    const { diffId, compression, size: uncompressedSize, contentSize } = learned;
    const info = { diffId, compression, uncompressedSize, contentSize };
    await store.layers.recordBlobInfo(layer.digest, {
      ...info,
      sources,
      ...(servedBy !== undefined && { servedBy }),
    });
    return { blob: layer.digest, diffId, info };
  } finally {
    await downloaded.partial.close();
  }
}

function checkDiffId(layer: LayerWanted, actual: Digest): void {
  if (layer.diffId !== undefined && actual !== layer.diffId) {
    throw new ShaleError(
      'ERR_DIGEST_MISMATCH',
      `layer ${layer.digest} uncompresses to ${actual}, but the image config says ${layer.diffId}`,
    );
  }
}

/**
 * A stored blob holding this layer: the manifest's own blob, or another compression of the same
 * DiffID (then the download is skipped and the image gets a manifest naming the blob we have).
 */
async function presentBlob(
  write: ImageWrite,
  layer: LayerWanted,
  signal?: AbortSignal,
): Promise<LayerSource | undefined> {
  const { store } = write;
  // Touched first (kept out of a concurrent prune from then on), then looked at: a blob a prune
  // took meanwhile is one to download.
  await write.noteBlob(layer.digest, true);
  if (await store.content.has(layer.digest)) {
    const info = await (
      layer.diffId === undefined
        ? store.layers.describeBlob(layer.digest, signal)
        : store.layers.checkDiffId(layer.digest, layer.diffId, signal)
    ).catch((err: unknown) => {
      if (isShaleError(err, 'ERR_NOT_FOUND')) return undefined;
      throw err;
    });
    if (info) return { blob: layer.digest, diffId: info.diffId, info };
  }
  if (layer.diffId === undefined) return undefined;
  for (const other of await store.layers.blobsOf(layer.diffId)) {
    const info = await store.layers.blobInfo(other);
    // Only a blob whose bytes were read may stand for another blob of the same DiffID.
    if (info && !info.unverified && (await store.content.has(other))) {
      await write.noteBlob(other, true);
      return { blob: other, diffId: info.diffId, info };
    }
  }
  return undefined;
}
