/**
 * How Docker 1.10+ turns a verified, fixed schema1 manifest into an image config (spec §4.4):
 * history entries from every v1Compatibility (base first, throwaway layers marked empty), only
 * non-throwaway layers downloaded, and the config made from the top entry's JSON.
 */
import type { Digest } from '../../core/digest.ts';
import { ShaleError } from '../../core/errors.ts';
import { historyFromV1Json, makeConfigFromV1Config } from '../v1-config.ts';
import { isThrowaway } from './fix-layers.ts';
import type { Schema1Manifest } from './manifest.ts';

const utf8 = new TextEncoder();

/** The blobs to download, base first: every layer whose history entry is not a throwaway. */
export function schema1LayersToFetch(manifest: Schema1Manifest): string[] {
  return manifest.fsLayers
    .map(({ blobSum }, i) => ({
      blobSum,
      throwaway: isThrowaway(manifest.history[i]!.v1Compatibility),
    }))
    .reverse()
    .filter((layer) => !layer.throwaway)
    .map((layer) => layer.blobSum);
}

/** The image config for a schema1 manifest, given the DiffIDs of the fetched layers, base first. */
export function schema1ImageConfig(
  manifest: Schema1Manifest,
  diffIds: readonly Digest[],
): Uint8Array {
  const entries = manifest.history.map(({ v1Compatibility }) => utf8.encode(v1Compatibility));
  const history = manifest.history
    .map(({ v1Compatibility }, i) => historyFromV1Json(entries[i]!, isThrowaway(v1Compatibility)))
    .reverse();
  const layered = history.filter((h) => !h.empty_layer).length;
  if (layered !== diffIds.length) {
    throw new ShaleError(
      'ERR_INVALID_ARGUMENT',
      `schema1 manifest has ${layered} non-throwaway layers but ${diffIds.length} DiffIDs were given`,
    );
  }
  return makeConfigFromV1Config(entries[0]!, diffIds, history);
}
