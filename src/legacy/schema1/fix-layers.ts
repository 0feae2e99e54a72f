/**
 * Repairing and checking the layer list of a schema1 manifest before IDs are computed (spec §3.1
 * `fixManifestLayers`), and the `throwaway` flag that marks history-only (empty) layers.
 */
import { ShaleError } from '../../core/errors.ts';
import { assertLegacyId } from '../../core/legacy-id.ts';
import { parseGoJson } from '../go-json/parse.ts';
import { decodeGoStruct } from '../go-json/struct-codec.ts';
import { THROWAWAY_ONLY } from '../v1-image-structs.ts';
import { decodeV1Image } from '../v1-config.ts';
import type { Schema1Manifest } from './manifest.ts';

const utf8 = new TextEncoder();

const invalid = (message: string): never => {
  throw new ShaleError('ERR_INVALID_ARGUMENT', `invalid schema1 manifest: ${message}`);
};

/**
 * The manifest with adjacent repeats of an image removed, after checking that every
 * v1Compatibility has a valid `id`, the base names no parent, no ID repeats non-adjacently and
 * each entry's `parent` is the next entry's `id`. Index 0 is the top image.
 */
export function fixManifestLayers<M extends Schema1Manifest>(manifest: M): M {
  if (manifest.fsLayers.length !== manifest.history.length || manifest.history.length === 0)
    invalid('fsLayers and history must be non-empty and of equal length');
  const images = manifest.history.map(({ v1Compatibility }, i) => {
    const image = decodeV1Image(utf8.encode(v1Compatibility), `v1Compatibility ${i}`);
    assertLegacyId(image.id as string, `v1Compatibility ${i} id`);
    return { id: image.id as string, parent: image.parent as string };
  });
  if (images.at(-1)!.parent !== '') invalid('the base layer must not name a parent');
  const seen = new Set<string>();
  images.forEach(({ id }, i) => {
    if (seen.has(id) && images[i - 1]!.id !== id) invalid(`image ${id} appears more than once`);
    seen.add(id);
  });
  const keep = images.map((image, i) => {
    const below = images[i + 1];
    if (below === undefined) return true;
    if (image.id === below.id) return false;
    if (image.parent !== below.id)
      invalid(
        `image ${image.id} names parent ${JSON.stringify(image.parent)}, expected ${below.id}`,
      );
    return true;
  });
  return {
    ...manifest,
    fsLayers: manifest.fsLayers.filter((_, i) => keep[i]),
    history: manifest.history.filter((_, i) => keep[i]),
  };
}

/** Whether a v1Compatibility marks its layer as a throwaway (empty, history-only) layer. */
export function isThrowaway(v1Compatibility: string): boolean {
  const what = 'v1Compatibility';
  const json = parseGoJson(utf8.encode(v1Compatibility), what);
  return decodeGoStruct(THROWAWAY_ONLY, json, what).throwaway as boolean;
}
