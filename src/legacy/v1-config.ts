/**
 * Converting legacy v1 image JSON into a Docker 1.10+ image config (spec §4.4), as schema1 pulls,
 * legacy loads and the 1.x graph migration do: `MakeConfigFromV1Config` keeps the JSON's raw
 * members (after the pre-1.8.3 re-encode through 1.10's `V1Image`), drops the v1-only keys and
 * adds `rootfs` and `history`; `HistoryFromConfig` derives the history entry of one v1 image.
 */
import type { Digest } from '../core/digest.ts';
import type { GoTime } from '../core/go-time.ts';
import { parseGoJson } from './go-json/parse.ts';
import { marshalRawObject, parseRawObject } from './go-json/raw-object.ts';
import { decodeGoStruct, encodeGo, type GoRecord } from './go-json/struct-codec.ts';
import { reencodeIfBefore183 } from './reencode.ts';
import { HISTORY, ROOTFS, V1_IMAGE } from './v1-image-structs.ts';

/** One `history` entry of an image config, as Docker 1.10's `image.History` holds it. */
export type ConfigHistoryEntry = {
  created: GoTime;
  author: string;
  created_by: string;
  comment: string;
  empty_layer: boolean;
};

const V1_ONLY_KEYS = ['id', 'parent', 'Size', 'parent_id', 'layer_id', 'throwaway'];

/** Decode legacy image JSON through 1.10's `V1Image` (types checked, Go key matching). */
export function decodeV1Image(json: Uint8Array, what = 'v1 image JSON'): GoRecord {
  return decodeGoStruct(V1_IMAGE, parseGoJson(json, what), what);
}

/** The history entry for a v1 image: its created/author/comment, and `created_by` = the Cmd. */
export function historyFromV1Json(json: Uint8Array, emptyLayer: boolean): ConfigHistoryEntry {
  const image = decodeV1Image(json);
  const containerConfig = image.container_config as GoRecord;
  return {
    created: image.created as GoTime,
    author: image.author as string,
    created_by: ((containerConfig.Cmd as readonly string[] | null) ?? []).join(' '),
    comment: image.comment as string,
    empty_layer: emptyLayer,
  };
}

/** The image config Docker 1.10 builds from v1 JSON, a layer stack (base first) and history. */
export function makeConfigFromV1Config(
  v1Json: Uint8Array,
  diffIds: readonly Digest[],
  history: readonly ConfigHistoryEntry[],
): Uint8Array {
  const json = reencodeIfBefore183(v1Json, V1_IMAGE, 'v1 image JSON');
  const members = parseRawObject(json, 'v1 image JSON');
  for (const key of V1_ONLY_KEYS) members.delete(key);
  members.set('rootfs', encodeGo({ struct: ROOTFS }, { type: 'layers', diff_ids: diffIds }));
  members.set('history', encodeGo({ sliceOf: HISTORY }, history));
  return marshalRawObject(members);
}
