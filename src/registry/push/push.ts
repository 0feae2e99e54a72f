/**
 * `push`: a stored image to a registry, with the manifest (or index) plan.ts picks. Each blob
 * (layers, then the config) is skipped when the registry has it, mounted from another repository
 * of the same registry when the store knows it came from there, and uploaded otherwise (a large one
 * in resumable chunks, chunked-upload.ts); then each
 * manifest goes up (an index's by digest, then the index under the tag), and the digest the
 * registry reports must be the one sent; the top one is recorded as the `name@digest` reference,
 * as Docker records a RepoDigest. Every blob sent is verified by the registry against its digest;
 * one refused is hashed here, and if damaged goes to quarantine.
 */
import { createReadStream } from 'node:fs';
import type { Digest } from '../../core/digest.ts';
import { ShaleError } from '../../core/errors.ts';
import { parseImageConfig } from '../../core/image-config.ts';
import type { ManifestDescriptor } from '../../core/manifest.ts';
import {
  parseDockerRef,
  trimNamed,
  withDigest,
  type NamedReference,
} from '../../core/reference.ts';
import type { Store } from '../../store/index.ts';
import type { RegistryClient } from '../client.ts';
import { runPool } from '../pool.ts';
import type { ProgressListener, TransferEvent } from '../progress.ts';
import { RemoteRepository } from '../repository.ts';
import { uploadInChunks } from './chunked-upload.ts';
import { planPush } from './plan.ts';
import type { Publishable } from './publishable.ts';

/** Blobs larger than this go up in resumable chunks of this size, unless a push says otherwise. */
export const DEFAULT_CHUNK_SIZE = 32 << 20;

export interface PushOptions {
  /** Blobs uploading at once (default 3). */
  concurrency?: number;
  /**
   * Blobs larger than this many bytes go up in chunks of this size, resumable across runs
   * (default DEFAULT_CHUNK_SIZE); smaller ones in one request. 0: every blob in one request.
   */
  chunkSize?: number;
  onProgress?: ProgressListener;
  signal?: AbortSignal;
}

export interface PushResult {
  /** The reference pushed to, and the manifest (or index) digest the registry now serves under it. */
  reference: string;
  digest: Digest;
  /** The byte size of that manifest (or index). */
  size: number;
  /** What was pushed, in words: which manifest or index, and why not another. */
  summary: string;
}

/** Push the image `source` names (a reference or image ID) to `destination` (default: source). */
export async function pushImage(
  store: Store,
  client: RegistryClient,
  source: string,
  destination: string = source,
  options: PushOptions = {},
): Promise<PushResult> {
  const dest = parseDockerRef(destination);
  if (dest.digest !== undefined) {
    throw new ShaleError(
      'ERR_INVALID_ARGUMENT',
      `cannot push to ${destination}: a push names a tag, not a digest`,
    );
  }
  const plan = await planPush(store, source, options.signal);
  const repo = new RemoteRepository(client, dest, ['pull', 'push']);
  const tag = dest.tag ?? 'latest';
  const { index } = plan;
  for (const [i, manifest] of plan.manifests.entries()) {
    const last = i === plan.manifests.length - 1;
    await pushManifest(store, repo, manifest, index || !last ? manifest.digest : tag, options);
  }
  if (index)
    await putVerified(repo, index.digest, tag, index.mediaType, index.bytes, options.signal);
  const { digest, size } = plan.named.descriptor;
  // As Docker does: the image is now known by `name@digest` too (a RepoDigest).
  await store.references.set(withDigest(trimNamed(dest), digest), plan.image, plan.named);
  options.onProgress?.({ type: 'done', reference: dest.toString(), id: plan.image, digest });
  return { reference: dest.toString(), digest, size, summary: plan.summary };
}

/** One image manifest: its blobs (layers, then the config), then itself under `reference`. */
async function pushManifest(
  store: Store,
  repo: RemoteRepository,
  image: Publishable,
  reference: string,
  options: PushOptions,
): Promise<void> {
  const layers = image.manifest.layers as ManifestDescriptor[];
  const { diff_ids } = parseImageConfig(await store.content.read(image.manifest.config.digest))
    .config.rootfs;
  const blobs: PushedBlob[] = [
    ...layers.map((layer, i) => ({ ...layer, diffId: diff_ids[i] })),
    image.manifest.config,
  ];
  for (const { digest, diffId } of blobs)
    options.onProgress?.({ type: 'layer', digest, status: 'waiting', ...(diffId && { diffId }) });
  await runPool(blobs.length, options.concurrency ?? 3, (i) =>
    pushBlob(store, repo, blobs[i]!, options),
  );
  await putVerified(repo, image.digest, reference, image.mediaType, image.bytes, options.signal);
}

/** Put a manifest or index; the digest the registry computes must be the one sent. */
async function putVerified(
  repo: RemoteRepository,
  digest: Digest,
  reference: string,
  mediaType: string,
  bytes: Buffer,
  signal?: AbortSignal,
): Promise<void> {
  const stored = await repo.putManifest(reference, mediaType, bytes, signal);
  if (stored !== digest) {
    throw new ShaleError(
      'ERR_DIGEST_MISMATCH',
      `${repo.displayName} stored the manifest as ${stored}, expected ${digest}`,
    );
  }
}

/** A blob to push; a layer's with its DiffID, for progress. */
type PushedBlob = ManifestDescriptor & { diffId?: Digest };

async function pushBlob(
  store: Store,
  repo: RemoteRepository,
  blob: PushedBlob,
  options: PushOptions,
): Promise<void> {
  const { digest, size, diffId } = blob;
  const progress = (event: Omit<TransferEvent & { type: 'layer' }, 'type' | 'digest'>): void =>
    options.onProgress?.({ type: 'layer', digest, ...event, ...(diffId && { diffId }) });
  await store.content.requireStored(digest); // before the registry is asked anything about it
  if (await repo.hasBlob(digest, options.signal)) {
    await store.uploads.delete(digest, repo.displayName); // a push killed after its last PUT
    progress({ status: 'exists' });
    return;
  }
  for (const from of await mountCandidates(store, digest, repo)) {
    if (await repo.mountBlob(digest, from, options.signal)) {
      progress({ status: 'mounted', from: from.path });
      return;
    }
  }
  progress({ status: 'pushing', current: 0, total: size });
  // The registry checks what it receives against the digest (the distribution spec requires it),
  // so a damaged blob is refused there at no cost to a sound push; when the upload fails, the
  // stored blob is hashed here, and damage found (the blob then goes to quarantine) is the error
  // to report, not how the registry or the transport words the failed request.
  const onProgress = (current: number) => progress({ status: 'pushing', current, total: size });
  // The whole blob, or bytes `start`…`end - 1` of it.
  const open = (start?: number, end?: number) =>
    createReadStream(store.content.blobPath(digest), {
      highWaterMark: 1 << 20,
      ...(start !== undefined && end !== undefined && { start, end: end - 1 }),
    });
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  const upload =
    chunkSize > 0 && size > chunkSize
      ? uploadInChunks(
          repo,
          store.uploads,
          { digest, size, open },
          { ...options, chunkSize, onProgress },
        )
      : repo.uploadBlob(digest, size, open, onProgress, options.signal);
  await upload.catch(async (err: unknown) => {
    if (!options.signal?.aborted) await store.content.verifyWhole(digest);
    throw err;
  });
  progress({ status: 'done' });
}

/** Repositories on the destination's registry that the blob was pulled from. */
async function mountCandidates(
  store: Store,
  digest: Digest,
  repo: RemoteRepository,
): Promise<NamedReference[]> {
  const sources = (await store.layers.blobInfo(digest))?.sources ?? [];
  return sources
    .map((s) => parseDockerRef(s))
    .filter((r) => r.domain === repo.domain && r.path !== repo.path);
}
