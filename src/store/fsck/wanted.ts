/**
 * The blobs the store's records name, and where each can be fetched again: a layer blob from the
 * repositories its blob info says it was pulled from; an image's config and manifest from those its
 * layer blobs were pulled from. A reference's name says nothing of where an image came from (a
 * load may name it `docker.io/…`), so it is not asked. Records that do not parse name nothing
 * (fsck reports them).
 */
import path from 'node:path';
import { isDigest, type Digest } from '../../core/digest.ts';
import { parseImageManifest } from '../../core/manifest.ts';
import { isImageManifest } from '../../core/media-types.ts';
import type { Store } from '../store.ts';
import { sortedNames } from './files.ts';

/** A blob some record names. */
export interface WantedBlob {
  digest: Digest;
  /** Its size, when a descriptor states it. */
  size?: number;
  /** A registry serves manifests at `manifests/<digest>`, everything else at `blobs/<digest>`. */
  manifest: boolean;
  /** Repositories (`host/path`) that should hold it, most likely first. */
  sources: string[];
}

class Wants {
  readonly byDigest = new Map<Digest, WantedBlob>();

  add(digest: Digest, sources: readonly string[], facts: { size?: number; manifest?: boolean }) {
    const want = this.byDigest.get(digest) ?? { digest, manifest: false, sources: [] };
    if (facts.size !== undefined) want.size = facts.size;
    if (facts.manifest) want.manifest = true;
    for (const source of sources) if (!want.sources.includes(source)) want.sources.push(source);
    this.byDigest.set(digest, want);
  }
}

async function layerBlobs(store: Store, wants: Wants): Promise<void> {
  const dir = path.join(store.layout.metaDir, 'blobinfo', 'sha256');
  for (const name of await sortedNames(dir)) {
    const blob = `sha256:${name.replace(/\.json$/, '')}`;
    if (!name.endsWith('.json') || !isDigest(blob)) continue;
    const info = await store.layers.blobInfo(blob).catch(() => undefined);
    if (info) wants.add(blob, info.sources ?? [], {});
  }
}

/** Where an image's own blobs should be: where its layers were pulled from. */
async function imageSources(
  store: Store,
  wants: Wants,
  diffIds: readonly Digest[],
): Promise<string[]> {
  const sources = new Set<string>();
  for (const diffId of diffIds)
    for (const blob of await store.layers.blobsOf(diffId))
      for (const source of wants.byDigest.get(blob)?.sources ?? []) sources.add(source);
  return [...sources];
}

async function imageBlobs(store: Store, wants: Wants, id: Digest) {
  const record = await store.images.get(id).catch(() => undefined);
  if (record?.id !== id) return;
  const config = await store.images.config(id).catch(() => undefined);
  let manifest;
  if (record.manifest && isImageManifest(record.manifest.mediaType))
    manifest = await store.content
      .read(record.manifest.digest)
      .then(parseImageManifest)
      .catch(() => undefined);
  const diffIds = config?.config.rootfs.diff_ids ?? [];
  const sources = await imageSources(store, wants, diffIds);
  wants.add(id, sources, { ...(manifest && { size: manifest.config.size }) });
  if (record.manifest)
    wants.add(record.manifest.digest, sources, { size: record.manifest.size, manifest: true });
  for (const layer of manifest?.layers ?? []) wants.add(layer.digest, sources, layer);
}

/** Every blob the store's records name, with the repositories to fetch it from. */
export async function wantedBlobs(store: Store): Promise<Map<Digest, WantedBlob>> {
  const wants = new Wants();
  await layerBlobs(store, wants);
  for (const id of await store.images.ids()) await imageBlobs(store, wants, id);
  return wants.byDigest;
}
