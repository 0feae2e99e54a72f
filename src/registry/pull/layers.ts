/**
 * Getting every layer of an image ready to commit: found in the store (by blob digest, or by
 * DiffID in another compression) or downloaded in parallel into verified partials. Each distinct
 * blob is fetched once even when the manifest lists it twice. Unknown DiffIDs (schema1) are
 * learned from the bytes as they arrive; known ones (from a config) are by default left for the
 * first read that decompresses the layer to check (blob-index.ts), or checked in flight too when
 * asked (`verifyDiffIds`).
 */
import type { Digest } from '../../core/digest.ts';
import { ShaleError } from '../../core/errors.ts';
import type { BlobInfo, Store } from '../../store/index.ts';
import { touch } from '../../store/index.ts';
import { runPool } from '../pool.ts';
import type { ProgressListener } from '../progress.ts';
import type { RemoteRepository } from '../repository.ts';
import { downloadBlob, type Downloaded } from './download.ts';

export interface LayerWanted {
  digest: Digest;
  /** Blob size, when the manifest gives it (schema1 does not: it is asked for with HEAD). */
  size?: number;
  /** The DiffID the image config names, when there is a config to check against. */
  diffId?: Digest;
}

/**
 * A layer ready to commit: the blob that holds it, its DiffID, what else is known of it (none
 * when the DiffID is the config's claim, for the commit to record), and its download if any.
 */
export interface LayerSource {
  blob: Digest;
  diffId: Digest;
  info?: BlobInfo;
  downloaded?: Downloaded;
}

export interface FetchOptions {
  concurrency?: number;
  /** Decompress layers while they download and check the config's DiffIDs before committing. */
  verifyDiffIds?: boolean;
  onProgress?: ProgressListener;
  signal?: AbortSignal;
}

/** Every layer present or downloaded and verified, in order; on failure, every download closed. */
export async function fetchLayers(
  store: Store,
  repo: RemoteRepository,
  wanted: readonly LayerWanted[],
  options: FetchOptions,
): Promise<LayerSource[]> {
  const distinct = [...new Map(wanted.map((w) => [w.digest, w])).values()];
  const byDigest = new Map<Digest, LayerSource>();
  const usePresent = async (layer: LayerWanted): Promise<boolean> => {
    const present = await presentBlob(store, layer, options.signal);
    if (present === undefined) return false;
    byDigest.set(layer.digest, present);
    options.onProgress?.({ type: 'layer', digest: layer.digest, status: 'exists' });
    return true;
  };
  const fetchOne = async (i: number): Promise<void> => {
    const layer = distinct[i]!;
    if (await usePresent(layer)) return;
    const size = layer.size ?? (await repo.blobSize(layer.digest, options.signal));
    const hashDiffId = layer.diffId === undefined || options.verifyDiffIds === true;
    const downloaded = await downloadBlob(
      store,
      repo,
      { digest: layer.digest, size },
      { ...options, diffId: hashDiffId },
    );
    if (!downloaded) {
      if (await usePresent(layer)) return; // another process stored it while this one waited
      throw new ShaleError('ERR_NOT_FOUND', `blob ${layer.digest} vanished from the store`);
    }
    if (!downloaded.diffId) {
      byDigest.set(layer.digest, { blob: layer.digest, diffId: layer.diffId!, downloaded });
      return;
    }
    const { diffId, compression, size: uncompressedSize, contentSize } = downloaded.diffId;
    byDigest.set(layer.digest, {
      blob: layer.digest,
      diffId,
      info: { diffId, compression, uncompressedSize, contentSize },
      downloaded,
    });
    checkDiffId(layer, diffId);
  };
  try {
    await runPool(distinct.length, options.concurrency ?? 3, fetchOne);
  } catch (err) {
    for (const source of byDigest.values()) await source.downloaded?.partial.close();
    throw err;
  }
  return wanted.map((w) => byDigest.get(w.digest)!);
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
  store: Store,
  layer: LayerWanted,
  signal?: AbortSignal,
): Promise<LayerSource | undefined> {
  if (await store.content.has(layer.digest)) {
    const info =
      layer.diffId === undefined
        ? await store.layers.describeBlob(layer.digest, signal)
        : await store.layers.checkDiffId(layer.digest, layer.diffId, signal);
    await touch(store.content.blobPath(layer.digest)); // keep it out of a concurrent prune
    return { blob: layer.digest, diffId: info.diffId, info };
  }
  if (layer.diffId === undefined) return undefined;
  for (const other of await store.layers.blobsOf(layer.diffId)) {
    const info = await store.layers.blobInfo(other);
    // Only a blob whose bytes were read may stand for another blob of the same DiffID.
    if (info && !info.unverified && (await store.content.has(other))) {
      await touch(store.content.blobPath(other));
      return { blob: other, diffId: info.diffId, info };
    }
  }
  return undefined;
}
