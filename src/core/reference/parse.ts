/**
 * Parsing as written: `parseReference` reads `[domain/]path[:tag][@digest]` exactly as given,
 * with no Docker Hub defaulting, and checks the path length and the digest (via parseDigest).
 */
import { isShaleError } from '../errors.ts';
import { parseDigest } from '../digest.ts';
import { ImageReferenceError, type ReferenceErrorKind } from './error.ts';
import { anchoredNameRegexp, referenceRegexp } from './grammar.ts';
import { checkPathLength, makeNamed, type NamedReference } from './model.ts';

const HEX_LENGTH: ReadonlyMap<string, number> = new Map([
  ['sha256', 64],
  ['sha512', 128],
]);

/**
 * Parse a reference exactly as written: `test.com:5000` is the name `test.com` with tag `5000`,
 * and `alpine` stays `alpine` (domain `''`). Throws a ImageReferenceError whose kind is name_empty,
 * name_contains_uppercase, invalid_reference_format, name_too_long or one of the digest kinds.
 */
export function parseReference(text: string): NamedReference {
  const m = referenceRegexp.exec(text);
  if (m === null) {
    if (text === '') {
      throw new ImageReferenceError('name_empty', 'invalid reference: the name is empty');
    }
    if (referenceRegexp.test(text.toLowerCase())) {
      throw new ImageReferenceError(
        'name_contains_uppercase',
        `invalid reference ${JSON.stringify(text)}: the repository name must be lowercase`,
      );
    }
    throw new ImageReferenceError(
      'invalid_reference_format',
      `invalid reference ${JSON.stringify(text)}: expected [domain[:port]/]path[:tag][@digest]`,
    );
  }
  const name = m[1]!;
  // The name group always re-matches the name grammar; the fallback mirrors upstream anyway.
  const split = anchoredNameRegexp.exec(name);
  const domain = split?.[1] ?? '';
  const path = split?.[2] ?? name;
  checkPathLength(path, text);
  const digest = m[3] === undefined ? undefined : checkDigest(m[3], text);
  return makeNamed(domain, path, m[2], digest);
}

/**
 * Validate a digest that already fits the reference grammar, reporting go-digest's error kinds:
 * an unknown but well-formed algorithm is digest_unsupported, a known one with the wrong number
 * of hex digits is digest_invalid_length, anything else digest_invalid_format.
 */
export function checkDigest(digest: string, input: string): string {
  try {
    parseDigest(digest);
    return digest;
  } catch (err) {
    if (!isShaleError(err)) throw err;
    const colon = digest.indexOf(':');
    const expected = HEX_LENGTH.get(digest.slice(0, colon));
    let kind: ReferenceErrorKind = 'digest_invalid_format';
    if (err.code === 'ERR_UNSUPPORTED') kind = 'digest_unsupported';
    else if (expected !== undefined && digest.length - colon - 1 !== expected) {
      kind = 'digest_invalid_length';
    }
    throw new ImageReferenceError(
      kind,
      `invalid reference ${JSON.stringify(input)}: ${err.message}`,
      {
        cause: err,
      },
    );
  }
}
