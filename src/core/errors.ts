/**
 * Errors: one class, `ShaleError`, whose `code` is a stable string that callers and tests match on.
 * Messages say what went wrong and, where it helps, what the user can do.
 */

export const ErrorCodes = [
  'ERR_BAD_TAR', // malformed or truncated tar stream
  'ERR_BAD_COMPRESSION', // corrupt gzip/zstd/xz/bzip2 stream
  'ERR_INVALID_DIGEST', // text that is not `algorithm:hex`
  'ERR_INVALID_REFERENCE', // text that is not an image reference (see reference/error.ts `kind`)
  'ERR_DIGEST_MISMATCH', // content does not hash to the expected digest
  'ERR_SIZE_MISMATCH', // content length differs from the expected size
  'ERR_UNSUPPORTED', // valid input we deliberately do not handle (sparse files, unknown hash, ...)
  'ERR_LIMIT', // a safety limit was exceeded (PAX size, long-name length, decompression ratio)
  'ERR_INVALID_ARGUMENT', // a caller passed a bad value
  'ERR_NOT_FOUND', // a file, blob or image that does not exist
  'ERR_REGISTRY', // a registry answered with an error (its code, e.g. MANIFEST_UNKNOWN, in the message)
  'ERR_AUTH', // credentials missing, rejected or insufficient for the requested scope
  'ERR_NETWORK', // a connection failed and retries were exhausted
  'ERR_IO', // the file system refused (no space, permission denied, read-only, ...)
  'ERR_BAD_RECORD', // a store record (metadata file) that does not parse or disagrees with itself
  'ERR_CONFLICT', // a concurrent command (prune, rmi) removed what this one was using; running it again helps
  'ERR_NEEDS_FORCE', // removing an image others depend on (several repositories, child images) needs force
] as const;

export type ErrorCode = (typeof ErrorCodes)[number];

export class ShaleError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ShaleError';
    this.code = code;
  }
}

/** True when `err` is a ShaleError, optionally with the given code. */
export function isShaleError(err: unknown, code?: ErrorCode): err is ShaleError {
  return err instanceof ShaleError && (code === undefined || err.code === code);
}
