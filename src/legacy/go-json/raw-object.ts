/**
 * Go's `map[string]*json.RawMessage` round trip, the heart of Docker's legacy ID computations:
 * decode a JSON object into key → raw value (duplicate keys: the last wins), edit it, and marshal
 * it back with keys sorted by their UTF-8 bytes, keys Go-quoted and raw values compacted with
 * HTML escaping.
 */
import { ShaleError } from '../../core/errors.ts';
import { parseGoJson, rawBytes } from './parse.ts';
import { ByteWriter, writeCompact, writeGoString, writeSortedObject } from './writer.ts';

/** Top-level members of a JSON object: key → the value's raw bytes. */
export type RawObject = Map<string, Uint8Array>;

/** Decode a JSON document that must be an object into its raw members. */
export function parseRawObject(json: Uint8Array, what: string): RawObject {
  const root = parseGoJson(json, what);
  if (root.kind !== 'object')
    throw new ShaleError('ERR_INVALID_ARGUMENT', `${what} must be a JSON object, not ${root.kind}`);
  const members: RawObject = new Map();
  for (const { key, value } of root.members) members.set(key, rawBytes(value));
  return members;
}

/** Marshal raw members as Go marshals a map: sorted keys, no whitespace, HTML-escaped. */
export function marshalRawObject(members: RawObject): Uint8Array {
  const out = new ByteWriter();
  writeSortedObject(out, members, (raw) => writeCompact(out, raw));
  return out.toBytes();
}

/** A JSON string value in Go's encoding, as raw bytes for a RawObject. */
export function rawGoString(value: string): Uint8Array {
  const out = new ByteWriter();
  writeGoString(out, value);
  return out.toBytes();
}
