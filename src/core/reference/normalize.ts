/**
 * Docker Hub normalisation: reading familiar (short) names into fully qualified references
 * (`alpine` → `docker.io/library/alpine`), the stricter and looser parse variants built on that,
 * and the way back to the short display forms, including glob matching against them.
 */
import { isDigest } from '../digest.ts';
import { ImageReferenceError } from './error.ts';
import { pathMatch } from './glob.ts';
import {
  DEFAULT_DOMAIN,
  LEGACY_DEFAULT_DOMAIN,
  OFFICIAL_REPO_PREFIX,
  anchoredIdentifierRegexp,
} from './grammar.ts';
import {
  makeDigestOnly,
  makeNamed,
  tagNameOnly,
  withDigest,
  withName,
  type NamedReference,
  type Reference,
} from './model.ts';
import { parseReference } from './parse.ts';

/**
 * Split familiar text into a domain and the rest. The first `/`-separated part is a domain only
 * when it could not be a Docker Hub namespace: it has a `.` or `:`, is `localhost`, or has
 * uppercase letters. Otherwise the domain is docker.io, and a one-component Docker Hub path gets
 * the `library/` prefix.
 */
function splitDockerDomain(text: string): { domain: string; rest: string } {
  const slash = text.indexOf('/');
  let domain = DEFAULT_DOMAIN;
  let rest = text;
  if (slash >= 0) {
    const first = text.slice(0, slash);
    if (/[.:]/.test(first) || first === 'localhost' || first.toLowerCase() !== first) {
      domain = first === LEGACY_DEFAULT_DOMAIN ? DEFAULT_DOMAIN : first;
      rest = text.slice(slash + 1);
    }
  }
  if (domain === DEFAULT_DOMAIN && !rest.includes('/')) rest = OFFICIAL_REPO_PREFIX + rest;
  return { domain, rest };
}

/**
 * Parse a familiar or fully qualified name, filling in Docker Hub defaults: no domain means
 * `docker.io`, `index.docker.io` becomes `docker.io`, and a one-component Docker Hub path gets
 * `library/`. Tag and digest are kept. Refuses a bare 64-hex string (name_is_identifier: it would
 * be ambiguous with an image id) and uppercase in the repository path (name_contains_uppercase);
 * otherwise throws what `parseReference` throws for the qualified text.
 */
export function parseNormalizedNamed(text: string): NamedReference {
  if (anchoredIdentifierRegexp.test(text)) {
    throw new ImageReferenceError(
      'name_is_identifier',
      `invalid repository name ${JSON.stringify(text)}: a 64-hex name is ambiguous with an image id`,
    );
  }
  const { domain, rest } = splitDockerDomain(text);
  const colon = rest.indexOf(':');
  const remote = colon >= 0 ? rest.slice(0, colon) : rest;
  if (remote.toLowerCase() !== remote) {
    throw new ImageReferenceError(
      'name_contains_uppercase',
      `invalid reference ${JSON.stringify(text)}: repository name ${JSON.stringify(remote)} must be lowercase`,
    );
  }
  return parseReference(`${domain}/${rest}`);
}

/**
 * Parse a name that must already be fully qualified: `parseNormalizedNamed(text).toString()`
 * must equal `text`, else name_not_canonical (`docker.io/library/alpine` passes, `alpine` and
 * `docker.io/alpine` do not).
 */
export function parseNamed(text: string): NamedReference {
  const ref = parseNormalizedNamed(text);
  if (ref.toString() !== text) {
    throw new ImageReferenceError(
      'name_not_canonical',
      `reference ${JSON.stringify(text)} is not fully qualified; its canonical form is ` +
        JSON.stringify(ref.toString()),
    );
  }
  return ref;
}

/**
 * Parse anything a user may type for an image: a bare 64-hex id (taken as a sha256 digest), an
 * `algorithm:hex` digest, or else a familiar name as `parseNormalizedNamed` reads it.
 */
export function parseAnyReference(text: string): Reference {
  if (anchoredIdentifierRegexp.test(text)) return makeDigestOnly(`sha256:${text}`);
  if (isDigest(text)) return makeDigestOnly(text);
  return parseNormalizedNamed(text);
}

/**
 * Parse as `parseNormalizedNamed`, then make the result pullable: a reference with neither tag
 * nor digest gets `:latest`, and one with both loses its tag (the digest decides).
 */
export function parseDockerRef(text: string): NamedReference {
  const ref = parseNormalizedNamed(text);
  if (ref.digest !== undefined) return withDigest(withName(ref.name()), ref.digest);
  return tagNameOnly(ref);
}

/** The short form of the repository: docker.io dropped, and `library/` for one-level paths. */
function familiarize(ref: NamedReference): NamedReference {
  if (ref.domain !== DEFAULT_DOMAIN) return ref;
  let path = ref.path;
  if (path.startsWith(OFFICIAL_REPO_PREFIX)) {
    const inner = path.slice(OFFICIAL_REPO_PREFIX.length);
    if (!inner.includes('/')) path = inner;
  }
  return makeNamed('', path, ref.tag, ref.digest);
}

/** The repository name as shown to users: `alpine`, `user/app`, `example.com/app`. */
export function familiarName(ref: NamedReference): string {
  return familiarize(ref).name();
}

/** The whole reference as shown to users (`alpine:3.20`); a digest-only reference as itself. */
export function familiarString(ref: Reference): string {
  return ref.kind === 'named' ? familiarize(ref).toString() : ref.toString();
}

/**
 * Whether the glob `pattern` (Go `path.Match` syntax, see `pathMatch`) matches the reference's
 * familiar string, or failing that its familiar name. A malformed pattern throws.
 */
export function familiarMatch(pattern: string, ref: Reference): boolean {
  if (pathMatch(pattern, familiarString(ref))) return true;
  return ref.kind === 'named' && pathMatch(pattern, familiarName(ref));
}
