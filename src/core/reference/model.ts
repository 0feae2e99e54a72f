/**
 * Reference model: the two shapes a reference can take (a named repository with an optional tag
 * and digest, or a bare digest), their string forms, and the builders that make a name or add a
 * tag or digest to one (`withName`, `withTag`, `withDigest`, `trimNamed`, `tagNameOnly`).
 */
import { ImageReferenceError } from './error.ts';
import {
  REPOSITORY_NAME_TOTAL_LENGTH_MAX,
  anchoredDigestRegexp,
  anchoredNameRegexp,
  anchoredTagRegexp,
} from './grammar.ts';

/**
 * A repository name, possibly with a tag and/or a digest: `[domain/]path[:tag][@digest]`.
 * Immutable. `tag` and `digest` are `undefined` when absent (never `''`).
 */
export interface NamedReference {
  readonly kind: 'named';
  /**
   * Registry host and optional port (`docker.io`, `localhost:5000`, `[::1]:5000`). `''` only for
   * names parsed as written (`parseReference`, `withName`) that had no domain part.
   */
  readonly domain: string;
  /** The repository path after the domain, e.g. `library/alpine`. */
  readonly path: string;
  readonly tag?: string;
  /**
   * `algorithm:hex`. Parsed references carry a validated sha256/sha512 digest; `withDigest`
   * checks only the digest grammar, as upstream does.
   */
  readonly digest?: string;
  /** The full repository name: `domain/path`, or `path` when `domain` is `''`. */
  name(): string;
  /** `name[:tag][@digest]`. */
  toString(): string;
  /** Same as `toString()`, so references serialise as JSON strings. */
  toJSON(): string;
}

/** A reference that is only a content digest (`sha256:…`), from `parseAnyReference`. */
export interface DigestReference {
  readonly kind: 'digest';
  readonly digest: string;
  /** The digest itself. */
  toString(): string;
  toJSON(): string;
}

export type Reference = NamedReference | DigestReference;

class Named implements NamedReference {
  readonly kind = 'named' as const;
  readonly domain: string;
  readonly path: string;
  readonly tag: string | undefined;
  readonly digest: string | undefined;

  constructor(domain: string, path: string, tag?: string, digest?: string) {
    this.domain = domain;
    this.path = path;
    this.tag = tag;
    this.digest = digest;
    Object.freeze(this);
  }

  name(): string {
    return this.domain === '' ? this.path : `${this.domain}/${this.path}`;
  }

  toString(): string {
    let text = this.name();
    if (this.tag !== undefined) text += `:${this.tag}`;
    if (this.digest !== undefined) text += `@${this.digest}`;
    return text;
  }

  toJSON(): string {
    return this.toString();
  }
}

class DigestOnly implements DigestReference {
  readonly kind = 'digest' as const;
  readonly digest: string;

  constructor(digest: string) {
    this.digest = digest;
    Object.freeze(this);
  }

  toString(): string {
    return this.digest;
  }

  toJSON(): string {
    return this.digest;
  }
}

/** Internal: build a named reference from parts already validated by the caller. */
export function makeNamed(
  domain: string,
  path: string,
  tag?: string,
  digest?: string,
): NamedReference {
  return new Named(domain, path, tag, digest);
}

/** Internal: build a digest-only reference from a digest already validated by the caller. */
export function makeDigestOnly(digest: string): DigestReference {
  return new DigestOnly(digest);
}

/** Throws name_too_long when the repository path exceeds the limit. */
export function checkPathLength(path: string, input: string): void {
  if (path.length > REPOSITORY_NAME_TOTAL_LENGTH_MAX) {
    throw new ImageReferenceError(
      'name_too_long',
      `invalid reference ${JSON.stringify(input)}: repository path is ${path.length} characters, ` +
        `more than ${REPOSITORY_NAME_TOTAL_LENGTH_MAX}`,
    );
  }
}

/**
 * A bare repository name as written (no defaulting; no tag or digest allowed), split into
 * domain and path. Throws invalid_reference_format or name_too_long.
 */
export function withName(name: string): NamedReference {
  const m = anchoredNameRegexp.exec(name);
  if (m === null) {
    throw new ImageReferenceError(
      'invalid_reference_format',
      `invalid repository name ${JSON.stringify(name)}: expected [domain[:port]/]path with ` +
        'lowercase path components',
    );
  }
  const path = m[2]!;
  checkPathLength(path, name);
  return new Named(m[1] ?? '', path);
}

/**
 * `ref` with its tag set to `tag` (replacing any tag; a digest is kept).
 * Throws tag_invalid_format.
 */
export function withTag(ref: NamedReference, tag: string): NamedReference {
  if (!anchoredTagRegexp.test(tag)) {
    throw new ImageReferenceError(
      'tag_invalid_format',
      `invalid tag ${JSON.stringify(tag)}: expected a word character then up to 127 of [A-Za-z0-9_.-]`,
    );
  }
  return new Named(ref.domain, ref.path, tag, ref.digest);
}

/**
 * `ref` with its digest set to `digest` (replacing any digest; a tag is kept). Like upstream,
 * this checks only the digest grammar (`algorithm:` and 32+ hex digits), not the algorithm or
 * the exact length. Throws digest_invalid_format.
 */
export function withDigest(ref: NamedReference, digest: string): NamedReference {
  if (!anchoredDigestRegexp.test(digest)) {
    throw new ImageReferenceError(
      'digest_invalid_format',
      `invalid digest ${JSON.stringify(digest)}: expected algorithm:hex`,
    );
  }
  return new Named(ref.domain, ref.path, ref.tag, digest);
}

/** `ref` without its tag and digest. */
export function trimNamed(ref: NamedReference): NamedReference {
  return new Named(ref.domain, ref.path);
}

/** True when `ref` has neither tag nor digest. */
export function isNameOnly(ref: NamedReference): boolean {
  return ref.tag === undefined && ref.digest === undefined;
}

/** `ref` with tag `latest` added when it has neither tag nor digest; otherwise `ref` itself. */
export function tagNameOnly(ref: NamedReference): NamedReference {
  return isNameOnly(ref) ? withTag(ref, 'latest') : ref;
}
