/**
 * Failures as dockerd answers them: a status code chosen by the error's kind and a JSON body
 * `{"message": …}` with shale's words. Errors that are not ShaleErrors (and not a Node system
 * error shale knows how to word) are a 500 whose message says so, never a stack.
 */
import type { ServerResponse } from 'node:http';
import { isShaleError, toShaleError, type ShaleError } from '../core/index.ts';

/** An answer the route gives on purpose: a status and a message. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const STATUS_OF_CODE: Partial<Record<ShaleError['code'], number>> = {
  ERR_NOT_FOUND: 404,
  ERR_INVALID_ARGUMENT: 400,
  ERR_INVALID_REFERENCE: 400,
  ERR_INVALID_DIGEST: 400,
  ERR_BAD_TAR: 400,
  ERR_BAD_COMPRESSION: 400,
  ERR_LIMIT: 400,
  ERR_UNSUPPORTED: 400,
  ERR_CONFLICT: 409,
  ERR_NEEDS_FORCE: 409,
  ERR_AUTH: 401,
};

/** The status and message for `err`. */
export function describeFailure(err: unknown): { status: number; message: string } {
  if (err instanceof HttpError) return { status: err.status, message: err.message };
  const known = isShaleError(err) ? err : toShaleError(err);
  if (known) return { status: STATUS_OF_CODE[known.code] ?? 500, message: known.message };
  return { status: 500, message: `internal failure: ${(err as Error)?.message ?? String(err)}` };
}

/** Answer with `err` as JSON, unless the answer has started (then the connection is ended). */
export function sendFailure(res: ServerResponse, err: unknown): void {
  const { status, message } = describeFailure(err);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ message });
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}
