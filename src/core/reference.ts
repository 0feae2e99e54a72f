/**
 * Image references (`[domain[:port]/]path[:tag][@digest]`): a hand port of Docker's current
 * grammar and normalisation (distribution/reference). No I/O. The parts live in `reference/`:
 *
 * - `grammar.ts`   the regular expressions and limits
 * - `error.ts`     `ImageReferenceError` (a ShaleError) and its `kind`s
 * - `model.ts`     `NamedReference` / `DigestReference` and `withName`/`withTag`/`withDigest`
 * - `parse.ts`     `parseReference`, parsing exactly as written
 * - `normalize.ts` Docker Hub defaulting, the familiar (short) forms and `familiarMatch`
 * - `glob.ts`      `pathMatch`, Go `path.Match` globbing
 * - `sort.ts`      `sortReferences`
 *
 * Which parser to use:
 * - `parseNormalizedNamed('alpine')` → `docker.io/library/alpine` (what users type)
 * - `parseDockerRef('alpine')` → `docker.io/library/alpine:latest` (something pullable)
 * - `parseAnyReference(text)` also takes a bare image id or digest
 * - `parseNamed(text)` insists on the fully qualified form
 * - `parseReference(text)` applies no defaults (`alpine` has domain `''`)
 */
export {
  REPOSITORY_NAME_TOTAL_LENGTH_MAX,
  DEFAULT_DOMAIN,
  LEGACY_DEFAULT_DOMAIN,
  OFFICIAL_REPO_PREFIX,
  domainRegexp,
  anchoredDomainRegexp,
  nameRegexp,
  anchoredNameRegexp,
  tagRegexp,
  anchoredTagRegexp,
  digestRegexp,
  anchoredDigestRegexp,
  identifierRegexp,
  anchoredIdentifierRegexp,
  referenceRegexp,
} from './reference/grammar.ts';
export {
  ImageReferenceError,
  isImageReferenceError,
  type ReferenceErrorKind,
} from './reference/error.ts';
export {
  withName,
  withTag,
  withDigest,
  trimNamed,
  isNameOnly,
  tagNameOnly,
  type NamedReference,
  type DigestReference,
  type Reference,
} from './reference/model.ts';
export { parseReference } from './reference/parse.ts';
export {
  parseNormalizedNamed,
  parseNamed,
  parseAnyReference,
  parseDockerRef,
  familiarName,
  familiarString,
  familiarMatch,
} from './reference/normalize.ts';
export { pathMatch } from './reference/glob.ts';
export { sortReferences } from './reference/sort.ts';
