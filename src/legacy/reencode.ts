/**
 * The `docker_version < 1.8.3` fallback shared by MakeImageConfig (§3.3) and
 * MakeConfigFromV1Config (§4.4): JSON written by older Docker releases is decoded and re-encoded
 * through the running release's structures before its raw members are used, which drops unknown
 * keys, applies `omitempty`, normalises `Cmd`/`Entrypoint` and re-prints `created`.
 */
import { compareDockerVersions } from './go-version.ts';
import { parseGoJson } from './go-json/parse.ts';
import { decodeGoStruct, encodeGo, type GoStruct } from './go-json/struct-codec.ts';
import { DOCKER_VERSION_ONLY } from './v1-image-structs.ts';

/** The first Docker release whose image JSON is used as is. */
const NO_FALLBACK_MIN_VERSION = '1.8.3';

/** `json` itself, or its re-encoding through `structure` when it was written before 1.8.3. */
export function reencodeIfBefore183(
  json: Uint8Array,
  structure: GoStruct,
  what: string,
): Uint8Array {
  const document = parseGoJson(json, what);
  const version = decodeGoStruct(DOCKER_VERSION_ONLY, document, what).docker_version as string;
  if (compareDockerVersions(version, NO_FALLBACK_MIN_VERSION) >= 0) return json;
  return encodeGo({ struct: structure }, decodeGoStruct(structure, document, what));
}
