/**
 * When and how long to wait before repeating a request: which failures are transient (network
 * errors, 5xx, 429), jittered exponential backoff, and the `Retry-After` header (seconds or an
 * HTTP date, capped so a registry cannot stall a pull for hours).
 */

export interface RetryPolicy {
  /** Attempts in total, the first one included. */
  readonly maxAttempts: number;
  /** Delay before the second attempt; each later one doubles it. */
  readonly baseDelayMs: number;
  /** Upper bound of a backoff delay. */
  readonly maxDelayMs: number;
  /** Upper bound of a delay the registry asks for with `Retry-After`. */
  readonly maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 5,
  baseDelayMs: 100,
  maxDelayMs: 5_000,
  maxRetryAfterMs: 60_000,
};

/** Socket-level failures worth another attempt; anything else (DNS, TLS) fails at once. */
const TRANSIENT_ERROR_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/** True when `err` (or its cause) is a transient network failure. */
export function isTransientNetworkError(err: unknown): boolean {
  for (let e = err; e instanceof Error; e = e.cause) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== undefined && TRANSIENT_ERROR_CODES.has(code)) return true;
  }
  return false;
}

/** True for answers that may succeed when repeated. 501 and 505 never will. */
export function isTransientStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status !== 501 && status !== 505);
}

/** Full-jitter exponential backoff before attempt `attempt + 1` (attempt counts from 1). */
export function backoffDelay(policy: RetryPolicy, attempt: number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

/** Milliseconds a `Retry-After` value asks for, capped; `undefined` when absent or unreadable. */
export function retryAfterDelay(
  value: string | undefined,
  policy: RetryPolicy,
  now: number = Date.now(),
): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  let ms: number;
  if (/^\d+$/.test(text)) ms = Number(text) * 1000;
  else {
    if (!/^[A-Za-z]/.test(text)) return undefined; // HTTP dates start with the day name
    const date = Date.parse(text);
    if (Number.isNaN(date)) return undefined;
    ms = Math.max(0, date - now);
  }
  return Math.min(ms, policy.maxRetryAfterMs);
}
