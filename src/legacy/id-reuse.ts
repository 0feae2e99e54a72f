/**
 * ID reuse and probing of Docker 1.8.3/1.9 schema1 pulls (spec §3.4, attemptIDReuse) against the
 * legacy index: an existing legacy image may stand for a position of a strong-ID chain only when
 * it validates there — checksum file holding a digest, the expected parent, and a stored
 * v1Compatibility whose MakeImageConfig hashes to the position's strong ID. A strong ID taken by
 * an entry that does not validate is probed onward (`nextProbeId`) until free or valid.
 */
import { parseDigest, type Digest } from '../core/digest.ts';
import { imageIdOf } from '../core/ids.ts';
import { nextProbeId } from '../core/legacy-id.ts';
import { makeImageConfig, type StrongIdLink } from './image-config.ts';
import { parseGoJson } from './go-json/parse.ts';
import { decodeGoStruct, encodeGo } from './go-json/struct-codec.ts';
import { IMAGE_1_8_3 } from './v1-image-structs.ts';
import type { LegacyEntry, LegacyStore } from '../store/legacy-ids.ts';

/** What a graph entry must match to stand for one position of a chain. */
export interface LegacyPosition {
  /** The strong ID computed for the position. */
  strongId: Digest;
  /** The ID chosen for the parent position; undefined at the base. */
  parentId?: string;
  /** The parent position's strong ID; undefined at the base. */
  parentStrongId?: Digest;
}

/**
 * The v1Compatibility Docker 1.8.3 generates for an image stored without one (spec §3.4 step 1,
 * e.g. pulled by 1.8.2 or migrated from such a graph): the stored image encoded through the 1.8.3
 * image structure, with its own ID and its parent's. Not written back: it is only validated.
 */
export function generateV1Compatibility(json: Uint8Array, entry: LegacyEntry): Uint8Array {
  const image = decodeGoStruct(IMAGE_1_8_3, parseGoJson(json, 'legacy image JSON'), 'legacy image');
  image.id = entry.id;
  image.parent = entry.parent ?? '';
  return encodeGo({ struct: IMAGE_1_8_3 }, image);
}

/** True when legacy image `id` exists and validates at `position`; never throws for bad data. */
export async function validateLegacyEntry(
  legacy: LegacyStore,
  id: string,
  position: LegacyPosition,
): Promise<boolean> {
  try {
    const entry = await legacy.get(id);
    if (!entry || entry.parent !== position.parentId) return false;
    const checksum = await legacy.checksum(id);
    const v1Compatibility =
      (await legacy.v1Compatibility(id)) ?? generateV1Compatibility(await legacy.json(id), entry);
    if (checksum === undefined) return false;
    parseDigest(checksum);
    const config = makeImageConfig(v1Compatibility, checksum, position.parentStrongId);
    return imageIdOf(config) === position.strongId;
  } catch {
    return false;
  }
}

export interface ChosenLegacyId {
  /** The ID this position is registered under. */
  id: string;
  parent?: string;
  /** The ID exists and validated: its layer need not be downloaded again. */
  exists: boolean;
}

/**
 * Choose the local ID of every position of a strong-ID chain (manifest order, top first, as
 * `strongIdChain` returns it). Run it under `legacy.withLock` when the choice is acted upon.
 */
export async function findReusableOrFreeId(
  legacy: LegacyStore,
  links: readonly StrongIdLink[],
): Promise<ChosenLegacyId[]> {
  const chosen: ChosenLegacyId[] = [];
  let continueReuse = true;
  for (let i = links.length - 1; i >= 0; i--) {
    const link = links[i]!;
    const parent = chosen[0];
    const position: LegacyPosition = {
      strongId: link.strongId,
      ...(parent && { parentId: parent.id, parentStrongId: links[i + 1]!.strongId }),
    };
    let id = parseDigest(link.strongId).hex;
    let exists = false;
    if (await legacy.has(id)) {
      exists = await validateLegacyEntry(legacy, id, position);
      if (!exists) continueReuse = false;
      while (!exists) {
        id = nextProbeId(id);
        if (!(await legacy.has(id))) break;
        exists = await validateLegacyEntry(legacy, id, position);
      }
    } else if (continueReuse) {
      exists = await validateLegacyEntry(legacy, link.legacyId, position);
      if (exists) id = link.legacyId;
      else continueReuse = false;
    }
    chosen.unshift(parent ? { id, parent: parent.id, exists } : { id, exists });
  }
  return chosen;
}
