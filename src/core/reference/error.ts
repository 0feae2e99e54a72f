/**
 * Reference errors: the `ImageReferenceError` subclass of ShaleError thrown by every reference
 * operation, and the `kind` values that say which rule the input broke (the error names of
 * distribution/reference and go-digest, in snake_case).
 */
import { ShaleError } from '../errors.ts';

export type ReferenceErrorKind =
  /** The text does not fit the reference grammar at all. */
  | 'invalid_reference_format'
  /** The text is empty. */
  | 'name_empty'
  /** The repository path (after the domain) is longer than 255 characters. */
  | 'name_too_long'
  /** The repository path has uppercase letters (it would parse if lowercased). */
  | 'name_contains_uppercase'
  /** `parseNamed` input that is not already in its fully qualified form. */
  | 'name_not_canonical'
  /** A bare 64-hex name, refused because it could be mistaken for an image id. */
  | 'name_is_identifier'
  /** A tag outside `[\w][\w.-]{0,127}`. */
  | 'tag_invalid_format'
  /** A digest outside the digest grammar, or with non-lowercase hex. */
  | 'digest_invalid_format'
  /** A digest whose hex part is the wrong length for its algorithm. */
  | 'digest_invalid_length'
  /** A well-formed digest with an algorithm shale does not handle (not sha256 or sha512). */
  | 'digest_unsupported';

/**
 * Thrown for an invalid image reference. `code` is ERR_INVALID_REFERENCE; `kind` names the rule.
 */
export class ImageReferenceError extends ShaleError {
  readonly kind: ReferenceErrorKind;

  constructor(kind: ReferenceErrorKind, message: string, options?: { cause?: unknown }) {
    super('ERR_INVALID_REFERENCE', message, options);
    this.name = 'ImageReferenceError';
    this.kind = kind;
  }
}

/** True when `err` is a reference error, optionally of the given kind. */
export function isImageReferenceError(
  err: unknown,
  kind?: ReferenceErrorKind,
): err is ImageReferenceError {
  return err instanceof ImageReferenceError && (kind === undefined || err.kind === kind);
}
