/**
 * The pure computations of the 1.x graph migration (spec §4.5): which legacy image is a graph
 * entry's parent, the config and image ID each legacy image migrates to (rootfs and history
 * accumulated from its migrated parent), and the references the legacy tag store turns into.
 */
import { isDigest, parseDigest, type Digest } from '../core/digest.ts';
import { ShaleError } from '../core/errors.ts';
import { imageIdOf } from '../core/ids.ts';
import { parseNormalizedNamed } from '../core/reference/normalize.ts';
import { isNameOnly, withDigest, withTag, type NamedReference } from '../core/reference/model.ts';
import { assertLegacyId } from '../core/legacy-id.ts';
import { parseGoJson, type JsonNode } from './go-json/parse.ts';
import { decodeGoStruct } from './go-json/struct-codec.ts';
import { historyFromV1Json, makeConfigFromV1Config, type ConfigHistoryEntry } from './v1-config.ts';

const PARENT_KEYS = {
  name: 'legacy parent',
  fields: [
    { key: 'Parent', type: 'string' as const },
    { key: 'parent_id', type: 'string' as const },
  ],
};

/**
 * The legacy parent ID of a graph entry: the JSON's `parent` (any case), else the hex of its
 * `parent_id` digest, overridden by the contents of the entry's `parent` file when there is one.
 */
export function legacyParentOf(json: Uint8Array, parentFile?: string): string | undefined {
  const keys = decodeGoStruct(
    PARENT_KEYS,
    parseGoJson(json, 'legacy image JSON'),
    'legacy image JSON',
  );
  let parent = keys.Parent as string;
  if (parent === '' && keys.parent_id !== '') parent = parseDigest(keys.parent_id as string).hex;
  if (parentFile !== undefined) parent = parentFile.trim();
  return parent === '' ? undefined : assertLegacyId(parent, 'legacy parent ID');
}

export interface MigratedImage {
  /** The new config bytes. */
  config: Uint8Array;
  /** The new image ID (SHA-256 of `config`). */
  id: Digest;
  diffIds: Digest[];
  history: ConfigHistoryEntry[];
}

/** Migrate one legacy image whose layer has `diffId`, on top of its already migrated parent. */
export function migrateLegacyImage(
  json: Uint8Array,
  diffId: Digest,
  parent?: MigratedImage,
): MigratedImage {
  const diffIds = [...(parent?.diffIds ?? []), diffId];
  const history = [...(parent?.history ?? []), historyFromV1Json(json, false)];
  const config = makeConfigFromV1Config(json, diffIds, history);
  return { config, id: imageIdOf(config), diffIds, history };
}

export interface MigratedReference {
  reference: NamedReference;
  imageId: Digest;
}

function objectMembers(node: JsonNode, what: string): JsonNode & { kind: 'object' } {
  if (node.kind !== 'object')
    throw new ShaleError('ERR_INVALID_ARGUMENT', `${what} must be a JSON object`);
  return node;
}

/**
 * The references a legacy `repositories-<driver>` file migrates to, given the legacy-ID → new
 * image ID mapping: digest-shaped tags become digest references, tags of unmapped images and
 * invalid names or tags are dropped (as Docker drops them, with a log line).
 */
export function migrateLegacyTags(
  repositoriesJson: Uint8Array,
  mapping: ReadonlyMap<string, Digest>,
): MigratedReference[] {
  const what = 'legacy repositories file';
  const root = objectMembers(parseGoJson(repositoriesJson, what), what);
  const tags = new Map<string, Map<string, string>>();
  for (const section of root.members) {
    if (section.key.toLowerCase() !== 'repositories' || section.value.kind === 'null') continue;
    for (const repo of objectMembers(section.value, `${what} Repositories`).members) {
      const repoTags = tags.get(repo.key) ?? new Map<string, string>();
      tags.set(repo.key, repoTags);
      if (repo.value.kind === 'null') continue;
      for (const tag of objectMembers(repo.value, `${what} repository ${repo.key}`).members) {
        if (tag.value.kind !== 'string')
          throw new ShaleError('ERR_INVALID_ARGUMENT', `${what}: tag ${tag.key} is not a string`);
        repoTags.set(tag.key, tag.value.value);
      }
    }
  }
  const migrated: MigratedReference[] = [];
  for (const [name, repoTags] of tags) {
    for (const [tag, legacyId] of repoTags) {
      const imageId = mapping.get(legacyId);
      const reference = imageId && referenceFor(name, tag);
      if (reference) migrated.push({ reference, imageId });
    }
  }
  return migrated;
}

function referenceFor(name: string, tag: string): NamedReference | undefined {
  try {
    const named = parseNormalizedNamed(name);
    if (!isNameOnly(named)) return undefined;
    return isDigest(tag) ? withDigest(named, tag) : withTag(named, tag);
  } catch {
    return undefined;
  }
}
