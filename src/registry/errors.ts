/**
 * Registry errors: `RegistryError` (a ShaleError) keeps the HTTP status and the registry's own
 * error codes (`MANIFEST_UNKNOWN`, `DENIED`, …) from the `{"errors":[…]}` body. 401/403 answers
 * and refused token requests are ERR_AUTH with a hint to log in; every other failure answer is
 * ERR_REGISTRY. Messages name the host, the operation and the repository, never a secret.
 */
import { ShaleError } from '../core/errors.ts';
import { readBodyBytes } from './transport/body.ts';
import type { HttpResponse } from './transport/response.ts';

/** One entry of a registry's `errors` array. */
export interface RegistryErrorDetail {
  readonly code: string;
  readonly message: string;
  readonly detail?: unknown;
}

/** What a request was for, so that failures can say it. */
export interface RequestTarget {
  /** The registry as references name it (`docker.io`, `127.0.0.1:5000`). */
  readonly host: string;
  /** The repository path (`library/alpine`), absent for registry-wide calls. */
  readonly repository?: string;
  /** What the caller was doing: `pull`, `push`, `delete`, `login`. */
  readonly operation: string;
}

export class RegistryError extends ShaleError {
  /** The HTTP status of the answer. */
  readonly status: number;
  /** The first registry error code (`MANIFEST_UNKNOWN`), when the body had one. */
  readonly registryCode: string | undefined;
  /** Every entry of the registry's `errors` array. */
  readonly errors: readonly RegistryErrorDetail[];
  readonly host: string;

  constructor(
    code: 'ERR_REGISTRY' | 'ERR_AUTH',
    message: string,
    init: { status: number; host: string; errors?: readonly RegistryErrorDetail[] },
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
    this.name = 'RegistryError';
    this.status = init.status;
    this.host = init.host;
    this.errors = init.errors ?? [];
    this.registryCode = this.errors[0]?.code;
  }
}

/** True when `err` is a RegistryError, optionally with the given registry error code. */
export function isRegistryError(err: unknown, registryCode?: string): err is RegistryError {
  return (
    err instanceof RegistryError &&
    (registryCode === undefined || err.registryCode === registryCode)
  );
}

const ERROR_BODY_LIMIT = 64 << 10;

/** The `errors` array of a body, or `[]` when the body is not a registry error document. */
export function parseErrorBody(bytes: Buffer): RegistryErrorDetail[] {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    return [];
  }
  const errors = (doc as { errors?: unknown } | null)?.errors;
  if (!Array.isArray(errors)) return [];
  return errors.flatMap((e: unknown) => {
    const { code, message, detail } = (e ?? {}) as Record<string, unknown>;
    if (typeof code !== 'string') return [];
    return [{ code, message: typeof message === 'string' ? message : '', detail }];
  });
}

/**
 * The error for an auth refusal: `registry H refused pull of R: WHY — HINT`. `hasCredential`
 * picks the hint (log in first, or check the credentials).
 */
export function authRefusal(
  target: RequestTarget,
  why: string,
  init: { status: number; hasCredential: boolean; errors?: readonly RegistryErrorDetail[] },
  options?: { cause?: unknown },
): RegistryError {
  const what =
    target.repository === undefined
      ? target.operation
      : `${target.operation} of ${target.repository}`;
  const login = `shale login ${target.host}`;
  const hint = !init.hasCredential
    ? `log in first (${login})`
    : init.status === 403
      ? `the account may lack ${target.operation} access; check the credentials (${login})`
      : `check the credentials (${login})`;
  return new RegistryError(
    'ERR_AUTH',
    `registry ${target.host} refused ${what}: ${why} — ${hint}`,
    { status: init.status, host: target.host, errors: init.errors },
    options,
  );
}

/**
 * Reads a failure answer's body (capped) and turns it into a RegistryError: ERR_AUTH for 401/403,
 * ERR_REGISTRY otherwise. `hasCredential` says whether credentials were sent (for the hint).
 */
export async function errorFromResponse(
  response: HttpResponse,
  method: string,
  target: RequestTarget,
  hasCredential: boolean,
): Promise<RegistryError> {
  const bytes = await readBodyBytes(response.body, ERROR_BODY_LIMIT).catch(() => Buffer.alloc(0));
  const errors = parseErrorBody(bytes);
  const status = response.status;
  const said =
    errors.length > 0
      ? errors.map((e) => `${e.code} ${e.message}`.trim()).join('; ')
      : shortText(bytes);
  if (status === 401 || status === 403) {
    return authRefusal(target, said || `HTTP ${status}`, { status, hasCredential, errors });
  }
  const request = `${method} ${response.url.pathname}`;
  const hint =
    status === 429
      ? ' — the registry limits the request rate; try again later'
      : status >= 500
        ? ' — the registry failed; try again later'
        : '';
  const message = said
    ? `registry ${target.host}: ${said} (${request}, HTTP ${status})${hint}`
    : `registry ${target.host} answered HTTP ${status} to ${request}${hint}`;
  return new RegistryError('ERR_REGISTRY', message, { status, host: target.host, errors });
}

/** A short plain-text body (`404 page not found`) worth quoting, else ''. */
function shortText(bytes: Buffer): string {
  const text = bytes.toString('utf8').trim();
  return text.length <= 100 && /^[\x20-\x7e]*$/.test(text) && !/[{<]/.test(text) ? text : '';
}
