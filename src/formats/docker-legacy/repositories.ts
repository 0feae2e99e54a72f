/**
 * The `repositories` file of a legacy docker-archive (spec §5.1): familiar repository name → tag →
 * the legacy ID of the tagged (top) image. Written compact with a newline, keys sorted; read with
 * every name and ID checked.
 */
import { ShaleError } from '../../core/errors.ts';
import { assertLegacyId } from '../../core/legacy-id.ts';
import {
  familiarName,
  parseNormalizedNamed,
  withTag,
  type NamedReference,
} from '../../core/reference.ts';

export const REPOSITORIES_FILE = 'repositories';

export interface LegacyTag {
  reference: NamedReference;
  /** The legacy ID the tag names. */
  legacyId: string;
}

/** The file for `tags`, or undefined when there are none (Docker then writes no file). */
export function encodeRepositories(tags: readonly LegacyTag[]): Buffer | undefined {
  if (tags.length === 0) return undefined;
  const repos: Record<string, Record<string, string>> = {};
  const sorted = [...tags].sort((a, b) => compare(a.reference.toString(), b.reference.toString()));
  for (const { reference, legacyId } of sorted) {
    (repos[familiarName(reference)] ??= {})[reference.tag!] = legacyId;
  }
  const byName = Object.fromEntries(
    Object.keys(repos)
      .sort(compare)
      .map((n) => [n, repos[n]]),
  );
  return Buffer.from(`${JSON.stringify(byName)}\n`);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function invalid(why: string): ShaleError {
  return new ShaleError('ERR_INVALID_ARGUMENT', `the archive's ${REPOSITORIES_FILE} file ${why}`);
}

/** The tags a `repositories` file names; ShaleError for anything malformed. */
export function parseRepositories(bytes: Uint8Array): LegacyTag[] {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    throw invalid(`is not JSON: ${(err as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw invalid('is not a JSON object');
  const tags: LegacyTag[] = [];
  for (const [name, tagMap] of Object.entries(json)) {
    if (typeof tagMap !== 'object' || tagMap === null || Array.isArray(tagMap))
      throw invalid(`maps ${JSON.stringify(name)} to something other than an object of tags`);
    for (const [tag, id] of Object.entries(tagMap as Record<string, unknown>)) {
      if (typeof id !== 'string') throw invalid(`tag ${name}:${tag} does not name an ID`);
      let reference: NamedReference;
      try {
        reference = withTag(parseNormalizedNamed(name), tag);
      } catch (err) {
        throw invalid(`names an invalid tag ${name}:${tag}: ${(err as Error).message}`);
      }
      tags.push({ reference, legacyId: assertLegacyId(id, `image ID of tag ${name}:${tag}`) });
    }
  }
  return tags;
}
