/**
 * Legacy v1 IDs for images of the content-addressable store (spec §4.4 `CreateID`, §5.2): what
 * `docker save` (1.10+) names each layer directory and writes into its `json`. Every layer but
 * the top one gets an empty image; the top gets the image config decoded through `V1Image`.
 */
import { createHash } from 'node:crypto';
import { digestOf, parseDigest, type Digest } from '../core/digest.ts';
import { ShaleError } from '../core/errors.ts';
import { chainIdOf } from '../core/ids.ts';
import {
  marshalRawObject,
  parseRawObject,
  rawGoString,
  type RawObject,
} from './go-json/raw-object.ts';
import { encodeGo, zeroStruct, type GoRecord } from './go-json/struct-codec.ts';
import { V1_IMAGE } from './v1-image-structs.ts';
import { decodeV1Image } from './v1-config.ts';

/**
 * `CreateID` over the raw members of a v1 image: SHA-256 of the members without `id`, plus
 * `layer_id` and (when there is one) `parent` as digests, marshalled with sorted keys.
 */
export function createIdOfMembers(
  v1Image: RawObject,
  chainId: Digest,
  parent: Digest | undefined,
): Digest {
  const members: RawObject = new Map(v1Image);
  members.delete('id');
  members.set('layer_id', rawGoString(chainId));
  if (parent !== undefined) members.set('parent', rawGoString(parent));
  const hex = createHash('sha256').update(marshalRawObject(members)).digest('hex');
  return digestOf('sha256', hex);
}

/** `CreateID` of a v1 image decoded through `V1Image`. */
function createId(v1Image: GoRecord, chainId: Digest, parent: Digest | undefined): Digest {
  const encoded = encodeGo({ struct: V1_IMAGE }, { ...v1Image, id: '' });
  return createIdOfMembers(parseRawObject(encoded, 'v1 image'), chainId, parent);
}

/** The `V1Image` part of an image config; its `parent` is shadowed by the config's own. */
function v1ImageOfConfig(config: Uint8Array): GoRecord {
  return { ...decodeV1Image(config, 'image config'), parent: '' };
}

/**
 * The v1 ID of one layer of a saved image: `config` is the image config for the top layer and
 * undefined (an empty image) for the others; `parent` is the v1 ID of the layer below.
 */
export function createV1Id(
  config: Uint8Array | undefined,
  chainId: Digest,
  parent?: Digest,
): Digest {
  parseDigest(chainId);
  if (parent !== undefined) parseDigest(parent);
  return createId(config ? v1ImageOfConfig(config) : zeroStruct(V1_IMAGE), chainId, parent);
}

export interface LegacySaveLayer {
  /** The layer directory name (64 hex). */
  id: string;
  /** The v1 ID of the layer below, absent for the base. */
  parent?: string;
  /** The `<id>/json` file contents. */
  json: Uint8Array;
}

/** The legacy layer entries `docker save` writes for an image, base first. */
export function legacySaveLayers(
  config: Uint8Array,
  diffIds: readonly Digest[],
): LegacySaveLayer[] {
  if (diffIds.length === 0) {
    throw new ShaleError('ERR_UNSUPPORTED', 'cannot save an image without layers in legacy form');
  }
  const top = v1ImageOfConfig(config);
  const layers: LegacySaveLayer[] = [];
  let parent: Digest | undefined;
  diffIds.forEach((_, i) => {
    const v1Image = i === diffIds.length - 1 ? top : zeroStruct(V1_IMAGE);
    const id = createId(v1Image, chainIdOf(diffIds.slice(0, i + 1))!, parent);
    const parentHex = parent && parseDigest(parent).hex;
    const hex = parseDigest(id).hex;
    const json = encodeGo({ struct: V1_IMAGE }, { ...v1Image, id: hex, parent: parentHex ?? '' });
    layers.push(parentHex ? { id: hex, parent: parentHex, json } : { id: hex, json });
    parent = id;
  });
  return layers;
}
