/**
 * `pull`: an image from a registry into the store. The manifest (for this platform) is resolved
 * and checked, the config fetched, verified and checked against it (limits.ts: nothing a manifest
 * or config states is checked after the first layer request), the layers downloaded in parallel into resumable
 * partials, each verified by digest, size and DiffID — and only then does anything become
 * visible (commit.ts), all under a lease. A failure leaves the store as it was; partial downloads
 * stay in the ingest area for the next attempt. Schema1 images get their config from the
 * manifest's v1 history (spec §4.4), with DiffIDs learned from the layers, and their legacy IDs
 * recorded (legacy-ids.ts). With `allPlatforms`, an index's other manifests and their blobs are
 * stored as content (other-platforms.ts). Everything is read through the repository's mirrors before its origin
 * (endpoints.ts), each read verified where it is served.
 */
import { asDigest, type Digest } from '../../core/digest.ts';
import { isShaleError, ShaleError } from '../../core/errors.ts';
import { parseImageConfig, type ParsedImageConfig } from '../../core/image-config.ts';
import { schema1ImageConfig, schema1LayersToFetch } from '../../legacy/index.ts';
import { hostPlatform, type ManifestDescriptor, type Platform } from '../../core/manifest.ts';
import {
  parseDockerRef,
  trimNamed,
  withDigest,
  type NamedReference,
} from '../../core/reference.ts';
import { writeImages, type ImageRecord, type ImageWrite, type Store } from '../../store/index.ts';
import type { RegistryClient } from '../client.ts';
import type { ProgressListener } from '../progress.ts';
import { commitPull, type PulledImage } from './commit.ts';
import { PullEndpoints } from './endpoints.ts';
import { hashAs } from './hash-as.ts';
import { fetchLayers } from './layers.ts';
import { fetchOtherPlatforms } from './other-platforms.ts';
import { recordSchema1LegacyIds } from './legacy-ids.ts';
import { MAX_CONFIG_BYTES, checkConfig, checkLayerCount, checkManifest } from './limits.ts';
import { reusableSchema1Layers } from './schema1-reuse.ts';
import { resolveManifest, type ResolvedManifest, type ResolvedSchema1 } from './resolve.ts';

export interface PullOptions {
  /** Platform to pick from an index (default: this machine's). */
  platform?: Platform;
  /**
   * Of an index, store every other manifest it lists and their blobs too, as content (no image is
   * made of them), so that a push sends the index itself.
   */
  allPlatforms?: boolean;
  /** Blobs downloading at once (default 3). */
  concurrency?: number;
  /** Also materialise the image's layer snapshots (which checks every layer's DiffID). */
  unpack?: boolean;
  /**
   * Check every layer's DiffID against the config before the pull returns, decompressing while
   * downloading. Without it a layer's DiffID is checked by the first read that decompresses it.
   */
  verifyDiffIds?: boolean;
  onProgress?: ProgressListener;
  /** A mirror skipped, and why (default: none reported). */
  onWarning?: (message: string) => void;
  signal?: AbortSignal;
}

export interface PullResult {
  id: Digest;
  /** Digest of the image manifest that was pulled. */
  digest: Digest;
  /** References now naming the image (the tag, and `name@digest`). */
  references: string[];
  /** False when the reference already named this image (Docker's "Image is up to date"). */
  updated: boolean;
}

export async function pullImage(
  store: Store,
  client: RegistryClient,
  reference: string | NamedReference,
  options: PullOptions = {},
): Promise<PullResult> {
  const ref = typeof reference === 'string' ? parseDockerRef(reference) : reference;
  const endpoints = new PullEndpoints(client, ref, options.onWarning ?? (() => undefined));
  options.onProgress?.({ type: 'resolving', reference: ref.toString() });
  const resolved = await resolveManifest(
    endpoints,
    ref.digest ?? ref.tag ?? 'latest',
    options.platform ?? hostPlatform(),
  );
  options.onProgress?.({ type: 'resolved', reference: ref.toString(), digest: resolved.digest });
  // The tag (unless the reference pinned a digest, as Docker does) and `name@digest`.
  const byDigest = withDigest(trimNamed(ref), resolved.named);
  const references = ref.digest === undefined ? [ref, byDigest] : [byDigest];
  return writeImages(store, async (write) => {
    const before = await store.references.target(references[0]!);
    const existed =
      resolved.kind === 'schema2'
        ? (await store.images.get(resolved.manifest.config.digest)) !== undefined
        : undefined;
    const record = await fetchAndCommit(write, endpoints, resolved, references, options);
    // As Docker reports it: the digest the reference named (an index's), and whether the
    // reference now names another image or manifest than before.
    const sameManifest =
      resolved.kind !== 'schema2' || before?.descriptor?.digest === resolved.named;
    const updated = before?.image !== record.id || !sameManifest;
    options.onProgress?.({
      type: 'done',
      reference: ref.toString(),
      id: record.id,
      digest: resolved.named,
      updated,
      ...(existed !== undefined && { existed }),
    });
    return {
      id: record.id,
      digest: resolved.digest,
      references: references.map(String),
      updated,
    };
  });
}

/** Attempts a pull makes when concurrent removals keep taking what it reuses. */
const MAX_ATTEMPTS = 3;

/**
 * Fetch what the store lacks, then commit. A prune or rmi running meanwhile may take a stored
 * blob this pull meant to reuse before the pull touched it: the write then refuses
 * (ERR_CONFLICT) and the pull looks again, within the same write, so what it already downloaded
 * stays and only what was taken is fetched.
 */
async function fetchAndCommit(
  write: ImageWrite,
  endpoints: PullEndpoints,
  resolved: ResolvedManifest | ResolvedSchema1,
  references: NamedReference[],
  options: PullOptions,
): Promise<ImageRecord> {
  const fetch = await planFetch(write, endpoints, resolved, options);
  for (let attempt = 1; ; attempt++) {
    try {
      const image = await fetch();
      return await commitPull(write, { ...image, references }, options);
    } catch (err) {
      if (!isShaleError(err, 'ERR_CONFLICT') || attempt === MAX_ATTEMPTS) throw err;
    }
  }
}

type Fetched = Omit<PulledImage, 'references'>;

/**
 * How to fetch what the image needs, for each attempt. A schema2 config is fetched (and checked
 * against the manifest and the limits, limits.ts) once, before: only the commit stores it.
 */
async function planFetch(
  write: ImageWrite,
  endpoints: PullEndpoints,
  resolved: ResolvedManifest | ResolvedSchema1,
  options: PullOptions,
): Promise<() => Promise<Fetched>> {
  if (resolved.kind !== 'schema2') return () => fetchSchema1(write, endpoints, resolved, options);
  const config = await checkedConfig(write, endpoints, resolved, options);
  return () => fetchSchema2(write, endpoints, resolved, config, options);
}

/** The manifest and config checked against each other and the limits (limits.ts). */
async function checkedConfig(
  write: ImageWrite,
  endpoints: PullEndpoints,
  resolved: ResolvedManifest,
  options: PullOptions,
): Promise<ParsedImageConfig> {
  const where = `${endpoints.origin.displayName}@${resolved.digest}`;
  checkManifest(resolved.manifest, where);
  const config = await fetchConfig(
    write.store,
    endpoints,
    resolved.manifest.config,
    options.signal,
  );
  checkConfig(config.config, resolved.manifest, where);
  return config;
}

async function fetchSchema2(
  write: ImageWrite,
  endpoints: PullEndpoints,
  resolved: ResolvedManifest,
  config: ParsedImageConfig,
  options: PullOptions,
): Promise<Fetched> {
  const diffIds = config.config.rootfs.diff_ids;
  const descriptors = resolved.manifest.layers as ManifestDescriptor[];
  const wanted = descriptors.map((d, i) => ({
    digest: d.digest,
    size: d.size,
    diffId: diffIds[i],
  }));
  const layers = await fetchLayers(write, endpoints, wanted, options);
  const { named, index } = resolved;
  if (index && options.allPlatforms) {
    const whole = { digest: named, bytes: index.bytes };
    await fetchOtherPlatforms(write, endpoints, whole, resolved.digest, options);
  }
  return {
    configBytes: config.bytes,
    layers,
    diffIds,
    pulled: {
      manifest: { mediaType: resolved.mediaType, digest: resolved.digest, bytes: resolved.bytes },
      ...(index && { index: { ...index, digest: named } }),
    },
    // The registry's manifest is the image's own only when every blob it names is the one stored.
    ownManifest: layers.every((l, i) => l.blob === descriptors[i]!.digest),
  };
}

/**
 * Schema1: layers first (their DiffIDs are not written anywhere), then the config from history.
 * Layers whose legacy image the store already has under the ID chosen for them (spec §3.4) are
 * taken from the store; only the rest are fetched.
 */
async function fetchSchema1(
  write: ImageWrite,
  endpoints: PullEndpoints,
  resolved: ResolvedSchema1,
  options: PullOptions,
): Promise<Fetched> {
  const { manifest } = resolved.parsed;
  const blobSums = schema1LayersToFetch(manifest).map(asDigest);
  checkLayerCount(blobSums.length, `${endpoints.origin.displayName}@${resolved.digest}`);
  const reused = await reusableSchema1Layers(write.store, manifest);
  for (const digest of blobSums.slice(0, reused.length))
    options.onProgress?.({ type: 'layer', digest, status: 'exists' });
  const wanted = blobSums.slice(reused.length).map((digest) => ({ digest }));
  const layers = [...reused, ...(await fetchLayers(write, endpoints, wanted, options))];
  const diffIds = layers.map((l) => l.diffId);
  const configBytes = schema1ImageConfig(manifest, diffIds);
  const legacyIds = async (image: Digest): Promise<void> => {
    await recordSchema1LegacyIds(write.store, manifest, image, diffIds);
  };
  return { configBytes, layers, diffIds, legacyIds };
}

/** The config blob, small enough to hold: from the store when present, else downloaded whole. */
async function fetchConfig(
  store: Store,
  endpoints: PullEndpoints,
  descriptor: ManifestDescriptor,
  signal?: AbortSignal,
): Promise<ParsedImageConfig> {
  if (await store.content.has(descriptor.digest)) {
    const stored = await store.content.read(descriptor.digest, MAX_CONFIG_BYTES);
    return parseImageConfig(checkConfigBytes(stored, descriptor, 'the store'));
  }
  const { value } = await endpoints.first(
    `config ${descriptor.digest}`,
    async (endpoint) => {
      const read = await endpoint.readBlob(descriptor.digest, descriptor.size, signal);
      return checkConfigBytes(read, descriptor, endpoint.displayName);
    },
    signal,
  );
  return parseImageConfig(value);
}

/** `bytes`, when they are the config `descriptor` names. */
function checkConfigBytes(bytes: Buffer, descriptor: ManifestDescriptor, from: string): Buffer {
  const actual = hashAs(descriptor.digest, bytes);
  if (actual !== descriptor.digest || bytes.length !== descriptor.size) {
    throw new ShaleError(
      'ERR_DIGEST_MISMATCH',
      `config from ${from} hashes to ${actual} (${bytes.length} bytes), expected ${descriptor.digest} (${descriptor.size} bytes)`,
    );
  }
  return bytes;
}
