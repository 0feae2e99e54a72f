/**
 * The `json` of a legacy image the store knows under a legacy ID, as a legacy archive carries it:
 * naming its own ID and its parent's. JSON from a legacy load or a migration already does and is
 * kept byte for byte; the MakeImageConfig JSON of a schema1 pull (spec §3.3) names neither, and
 * gets `id` and `parent` added to its members, as Docker 1.9 saved pulled images (§5.1).
 */
import { marshalRawObject, parseRawObject, rawGoString } from './go-json/raw-object.ts';
import { decodeV1Image } from './v1-config.ts';

export function identifiedV1Json(
  json: Uint8Array,
  id: string,
  parent: string | undefined,
): Uint8Array {
  const what = `JSON of legacy image ${id}`;
  const image = decodeV1Image(json, what);
  if (image.id === id && image.parent === (parent ?? '')) return json;
  const members = parseRawObject(json, what);
  for (const key of members.keys())
    if (['id', 'parent'].includes(key.toLowerCase())) members.delete(key);
  members.set('id', rawGoString(id));
  if (parent !== undefined) members.set('parent', rawGoString(parent));
  return marshalRawObject(members);
}
