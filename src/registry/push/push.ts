/**
 * `push`: a stored image to a registry, with the manifest (or index) plan.ts picks — a transfer
 * from the store (transfer/store-source.ts) to the registry (transfer/registry-endpoints.ts). Each
 * blob (layers, then the config) is skipped when the registry has it, mounted from another
 * repository of the same registry when the store knows it came from there, and uploaded otherwise
 * (a large one in resumable chunks, chunked-upload.ts); then the manifests (an index's by digest)
 * and the top one under the tag, the digest the registry reports checked against the one sent;
 * the top one is recorded as the `name@digest` reference, as Docker records a RepoDigest. Every
 * blob sent is verified by the registry against its digest; one refused is hashed here, and if
 * damaged goes to quarantine.
 */
import type { Digest } from '../../core/digest.ts';
import { ShaleError } from '../../core/errors.ts';
import { parseDockerRef, trimNamed, withDigest } from '../../core/reference.ts';
import type { Store } from '../../store/index.ts';
import type { RegistryClient } from '../client.ts';
import type { ProgressListener } from '../progress.ts';
import { RegistrySink } from '../transfer/registry-endpoints.ts';
import { StoreSource } from '../transfer/store-source.ts';
import { transferImage } from '../transfer/transfer.ts';

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
  const from = new StoreSource(store, source);
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  const sink = new RegistrySink(client, dest, { chunkSize, sessions: store.uploads });
  // A push sends what the store holds: no referrers (attachArtifact sends those).
  await transferImage(from, sink, { ...options, withReferrers: false });
  const plan = await from.planned();
  const { digest, size } = plan.named.descriptor;
  // As Docker does: the image is now known by `name@digest` too (a RepoDigest).
  await store.references.set(withDigest(trimNamed(dest), digest), plan.image, plan.named);
  options.onProgress?.({ type: 'done', reference: dest.toString(), id: plan.image, digest });
  return { reference: dest.toString(), digest, size, summary: plan.summary };
}
