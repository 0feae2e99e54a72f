/**
 * `pull --all-platforms`: besides the image made for one platform, every other manifest the
 * index lists (other platforms, and attestation manifests typed `unknown/unknown`) and every blob
 * they name are stored as content only, so that a push can send the index itself, byte for byte,
 * and collection keeps them while a reference names the index (store/index-content.ts). Each
 * manifest is verified against its index entry and each blob by digest and size where it is
 * served (mirrors first), downloaded into resumable partials, several at once. No image is made
 * of them here, so their layers' DiffIDs are not read: `pull --platform` of that platform does
 * that. An entry that is itself an index is refused, as a pull refuses it.
 */
import type { Digest } from '../../core/digest.ts';
import { ShaleError } from '../../core/errors.ts';
import { manifestBlobs, parseImageIndex, parseImageManifest } from '../../core/manifest.ts';
import { isImageManifest } from '../../core/media-types.ts';
import type { ImageWrite } from '../../store/index.ts';
import { runPool } from '../pool.ts';
import { downloadFromFirst } from './download.ts';
import type { PullEndpoints } from './endpoints.ts';
import type { FetchOptions } from './layers.ts';
import { checkLayerCount } from './limits.ts';
import { fetchVerified } from './resolve.ts';

interface Blob {
  digest: Digest;
  size: number;
}

/** Store every manifest `index` lists other than `chosen`, and their blobs, through `write`. */
export async function fetchOtherPlatforms(
  write: ImageWrite,
  endpoints: PullEndpoints,
  index: { digest: Digest; bytes: Buffer },
  chosen: Digest,
  options: FetchOptions,
): Promise<void> {
  const where = `${endpoints.origin.displayName}@${index.digest}`;
  const blobs = new Map<Digest, Blob>();
  const seen = new Set<Digest>([chosen]);
  for (const entry of parseImageIndex(index.bytes, `index ${index.digest}`).manifests) {
    if (seen.has(entry.digest)) continue; // an index may list one manifest twice: fetched once
    seen.add(entry.digest);
    if (!isImageManifest(entry.mediaType)) {
      throw new ShaleError(
        'ERR_UNSUPPORTED',
        `${where}: entry ${entry.digest} has media type ${entry.mediaType}; --all-platforms takes indexes of Docker schema2 and OCI image manifests (nested indexes are not supported)`,
      );
    }
    const bytes = await storeManifest(write, endpoints, entry, where);
    const manifest = parseImageManifest(bytes);
    checkLayerCount(manifest.layers.length, `${where}: manifest ${entry.digest}`);
    for (const { digest, size } of manifestBlobs(manifest))
      if (!blobs.has(digest)) blobs.set(digest, { digest, size });
  }
  const wanted = [...blobs.values()];
  await runPool(wanted.length, options.concurrency ?? 3, (i) =>
    storeBlob(write, endpoints, wanted[i]!, options),
  );
}

/** An entry's manifest, verified against the entry and stored; its bytes. */
async function storeManifest(
  write: ImageWrite,
  endpoints: PullEndpoints,
  entry: Blob,
  where: string,
): Promise<Buffer> {
  const { value } = await endpoints.first(`manifest ${entry.digest}`, (repo) =>
    fetchVerified(repo, entry.digest),
  );
  if (value.bytes.length !== entry.size) {
    throw new ShaleError(
      'ERR_SIZE_MISMATCH',
      `${where}: manifest ${entry.digest} is ${value.bytes.length} bytes, but the index says ${entry.size}`,
    );
  }
  const put = await write.store.content.put(value.bytes, entry);
  await write.noteBlob(entry.digest, put.existed);
  return value.bytes;
}

/** A blob kept when stored (touched first, so that a concurrent prune leaves it), else fetched. */
async function storeBlob(
  write: ImageWrite,
  endpoints: PullEndpoints,
  blob: Blob,
  options: FetchOptions,
): Promise<void> {
  const { store } = write;
  const { digest } = blob;
  await write.noteBlob(digest, true);
  if (await store.content.has(digest)) {
    options.onProgress?.({ type: 'layer', digest, status: 'exists' });
    return;
  }
  options.onProgress?.({ type: 'layer', digest, status: 'waiting' });
  const { value: downloaded, endpoint } = await downloadFromFirst(store, endpoints, blob, options);
  if (!downloaded) {
    // Another process stored it while this one waited for its partial: keep it from prune.
    await write.noteBlob(digest, true);
    if (await store.content.has(digest)) return;
    throw new ShaleError('ERR_NOT_FOUND', `blob ${digest} vanished from the store`);
  }
  try {
    const stored = await downloaded.partial.commit();
    await write.noteBlob(digest, stored.existed);
  } finally {
    await downloaded.partial.close();
  }
  const served = endpoint.displayName;
  options.onProgress?.({ type: 'layer', digest, status: 'downloaded', endpoint: served });
}
