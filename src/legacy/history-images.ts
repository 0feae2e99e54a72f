/**
 * The v1 images a legacy save writes for an image that has no legacy IDs of its own: one per
 * history entry, empty layers included, as a Docker 1.x graph held the image. A lower image holds
 * its history entry (created, author, comment, and `created_by` as a one-element
 * `container_config.Cmd`, where `HistoryFromConfig` reads it back, spec §4.4); the top image holds
 * every member of the config but `rootfs` and `history` (Healthcheck, Shell, … kept raw). Each ID
 * is CreateID (§4.4) of its JSON over the ChainID of the layers it stands on, an empty layer
 * counted as the empty tar it is written as. Without a history, one image per layer (the lower
 * ones empty, as `docker save` writes them).
 */
import { parseDigest, type Digest } from '../core/digest.ts';
import { ShaleError } from '../core/errors.ts';
import { chainIdStep } from '../core/ids.ts';
import { parseImageConfig, type HistoryEntry } from '../core/image-config.ts';
import { createIdOfMembers } from './create-id.ts';
import { parseGoJson } from './go-json/parse.ts';
import {
  marshalRawObject,
  parseRawObject,
  rawGoString,
  type RawObject,
} from './go-json/raw-object.ts';
import { encodeGo, zeroStruct, type GoRecord } from './go-json/struct-codec.ts';
import { parseGoTime } from '../core/go-time.ts';
import { decodeV1Image } from './v1-config.ts';
import { V1_IMAGE } from './v1-image-structs.ts';

/** An empty layer's `layer.tar`: just the end-of-archive marker, two zero blocks. */
export const EMPTY_LAYER_TAR = new Uint8Array(1024);
/** The DiffID of {@link EMPTY_LAYER_TAR}. */
export const EMPTY_LAYER_DIFF_ID =
  'sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef' as Digest;

/** What a lower image without a `created` time gets, as in `docker save` 1.10+. */
const UNIX_EPOCH = parseGoTime('1970-01-01T00:00:00Z');

export interface LegacyHistoryImage {
  /** The directory name and `id` (64 hex). */
  id: string;
  /** The `id` of the image below, absent for the base. */
  parent?: string;
  /** The `<id>/json` file contents. */
  json: Uint8Array;
  /** Index into `rootfs.diff_ids` of the layer this image adds; absent for an empty layer. */
  layer?: number;
}

function lowerImage(entry: HistoryEntry, os: string): RawObject {
  const zero = zeroStruct(V1_IMAGE);
  const createdBy = entry.created_by ?? '';
  const v1Image: GoRecord = {
    ...zero,
    created: entry.created === undefined ? UNIX_EPOCH : parseGoTime(entry.created),
    author: entry.author ?? '',
    comment: entry.comment ?? '',
    container_config: {
      ...(zero.container_config as GoRecord),
      Cmd: createdBy === '' ? null : [createdBy],
    },
    os,
  };
  return parseRawObject(encodeGo({ struct: V1_IMAGE }, v1Image), 'v1 image');
}

/** `container_config` with `Cmd` replaced by `[createdBy]` (other members kept raw). */
function withCmd(raw: Uint8Array | undefined, createdBy: string): Uint8Array {
  const isObject = raw !== undefined && parseGoJson(raw, 'container_config').kind === 'object';
  const members: RawObject = isObject
    ? parseRawObject(raw, 'container_config')
    : new Map<string, Uint8Array>();
  for (const key of members.keys()) if (key.toLowerCase() === 'cmd') members.delete(key);
  members.set('Cmd', encodeGo('strSlice', createdBy === '' ? null : [createdBy]));
  return marshalRawObject(members);
}

/**
 * The config's members without `rootfs` and `history`; when the top history entry's `created_by`
 * is not what the config's `container_config.Cmd` says (images not built by Docker's classic
 * builder), the Cmd is set to it so that the entry survives a load.
 */
function topImage(config: Uint8Array, createdBy: string | undefined): RawObject {
  const members = parseRawObject(config, 'image config');
  for (const key of ['rootfs', 'history', 'id', 'parent']) members.delete(key);
  if (createdBy === undefined) return members;
  const containerConfig = decodeV1Image(config, 'image config').container_config as GoRecord;
  const cmd = (containerConfig.Cmd as readonly string[] | null) ?? [];
  if (cmd.join(' ') !== createdBy)
    members.set('container_config', withCmd(members.get('container_config'), createdBy));
  return members;
}

/** The v1 images of the image with config `config`, base first. */
export function legacyHistoryImages(config: Uint8Array): LegacyHistoryImage[] {
  const parsed = parseImageConfig(config).config;
  const diffIds = parsed.rootfs.diff_ids;
  if (diffIds.length === 0) {
    throw new ShaleError('ERR_UNSUPPORTED', 'cannot save an image without layers in legacy form');
  }
  const recorded = parsed.history ?? [];
  const history: HistoryEntry[] = recorded.length > 0 ? recorded : diffIds.map(() => ({}));
  const images: LegacyHistoryImage[] = [];
  let chain: Digest | undefined;
  let parent: Digest | undefined;
  let nextLayer = 0;
  history.forEach((entry, i) => {
    const layer = entry.empty_layer === true ? undefined : nextLayer++;
    chain = chainIdStep(chain, layer === undefined ? EMPTY_LAYER_DIFF_ID : diffIds[layer]!);
    const members =
      i < history.length - 1
        ? lowerImage(entry, parsed.os ?? '')
        : topImage(config, recorded.length > 0 ? (entry.created_by ?? '') : undefined);
    const id = createIdOfMembers(members, chain, parent);
    const hex = parseDigest(id).hex;
    const parentHex = parent && parseDigest(parent).hex;
    members.set('id', rawGoString(hex));
    if (parentHex !== undefined) members.set('parent', rawGoString(parentHex));
    images.push({
      id: hex,
      ...(parentHex !== undefined && { parent: parentHex }),
      json: marshalRawObject(members),
      ...(layer !== undefined && { layer }),
    });
    parent = id;
  });
  return images;
}
