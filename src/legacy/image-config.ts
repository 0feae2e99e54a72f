/**
 * Strong IDs of Docker 1.8.3/1.9 schema1 pulls (spec §3.2, §3.3): `MakeImageConfig` turns a
 * manifest's v1Compatibility JSON into the image config stored for it (`layer_id` = the blob
 * digest, `parent_id` = the parent's strong ID, `id`/`parent`/`Size` dropped, keys sorted), and the
 * strong ID is the SHA-256 of those bytes. The chain always feeds the parent's strong ID.
 */
import { parseDigest, type Digest } from '../core/digest.ts';
import { imageIdOf } from '../core/ids.ts';
import { assertLegacyId } from '../core/legacy-id.ts';
import { marshalRawObject, parseRawObject, rawGoString } from './go-json/raw-object.ts';
import { reencodeIfBefore183 } from './reencode.ts';
import { IMAGE_1_8_3 } from './v1-image-structs.ts';
import { decodeV1Image } from './v1-config.ts';

/** The config bytes Docker 1.8.3 stores for a schema1 history entry. */
export function makeImageConfig(
  v1Compatibility: Uint8Array,
  layerDigest: string,
  parentStrongId?: string,
): Uint8Array {
  const json = reencodeIfBefore183(v1Compatibility, IMAGE_1_8_3, 'v1Compatibility');
  const members = parseRawObject(json, 'v1Compatibility');
  parseDigest(layerDigest);
  members.set('layer_id', rawGoString(layerDigest));
  if (parentStrongId) {
    parseDigest(parentStrongId);
    members.set('parent_id', rawGoString(parentStrongId));
  }
  for (const key of ['id', 'parent', 'Size']) members.delete(key);
  return marshalRawObject(members);
}

/** The legacy `id` a v1Compatibility entry names, validated. */
export function legacyIdOf(v1Compatibility: Uint8Array): string {
  const image = decodeV1Image(v1Compatibility, 'v1Compatibility');
  return assertLegacyId(image.id as string, 'v1Compatibility id');
}

export interface StrongIdLink {
  /** The config stored for this image (MakeImageConfig output). */
  config: Uint8Array;
  /** `sha256:` + hex of the config: the initial local ID. */
  strongId: Digest;
  /** The remote legacy ID from v1Compatibility, which ID reuse may choose instead. */
  legacyId: string;
}

/**
 * The strong-ID chain of a schema1 image (§3.2). Input and output are in manifest order: index 0
 * is the top image, the last is the base; the chain is computed from the base up.
 */
export function strongIdChain(
  layers: readonly { v1Compatibility: Uint8Array; blobSum: string }[],
): StrongIdLink[] {
  const links: StrongIdLink[] = [];
  let parent: Digest | undefined;
  for (const { v1Compatibility, blobSum } of [...layers].reverse()) {
    const config = makeImageConfig(v1Compatibility, blobSum, parent);
    parent = imageIdOf(config);
    links.unshift({ config, strongId: parent, legacyId: legacyIdOf(v1Compatibility) });
  }
  return links;
}
