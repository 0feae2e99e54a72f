/**
 * The one retry policy of registry traffic: which failures are transient (network errors, 5xx,
 * 429), jittered exponential backoff, the `Retry-After` header (seconds or an HTTP date, capped so
 * a registry cannot stall a pull for hours), the idle timeout of every response, and the
 * `RetryBudget` one operation (a blob, a manifest) spends: every connection any layer opens for it
 * counts against the same attempts, and the whole operation has a deadline no answer can reset.
 */
import { sleep } from './sleep.ts';

export interface RetryPolicy {
  /** Connections per operation in total (first one, retries and resumptions included). */
  readonly maxAttempts: number;
  /** Delay before the second attempt; each later one doubles it. */
  readonly baseDelayMs: number;
  /** Upper bound of a backoff delay. */
  readonly maxDelayMs: number;
  /** Upper bound of a delay the registry asks for with `Retry-After`. */
  readonly maxRetryAfterMs: number;
  /** A response whose headers or body go this long without a byte fails (transient). */
  readonly readTimeoutMs: number;
  /** One operation, every attempt and pause included, must end within this; 0: no bound. */
  readonly operationTimeoutMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 5,
  baseDelayMs: 100,
  maxDelayMs: 5_000,
  maxRetryAfterMs: 60_000,
  readTimeoutMs: 30_000,
  operationTimeoutMs: 3_600_000,
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

/** Timers cannot wait longer than this (about 24.8 days); longer bounds mean none. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The attempts and the deadline of one operation. Hand the same budget to every layer that sends
 * requests for the operation (transport, document reads, blob resumptions), call `begin()` before
 * each connection, and send with `signal`: it aborts when the caller aborts or the deadline passes.
 */
export class RetryBudget {
  readonly policy: RetryPolicy;
  /** The caller's signal combined with the deadline. */
  readonly signal: AbortSignal;
  readonly #caller: AbortSignal | undefined;
  readonly #deadline: AbortSignal | undefined;
  #attempts = 0;

  constructor(policy: RetryPolicy, signal?: AbortSignal) {
    this.policy = policy;
    this.#caller = signal;
    const ms = policy.operationTimeoutMs;
    this.#deadline = ms > 0 && ms <= MAX_TIMER_MS ? AbortSignal.timeout(ms) : undefined;
    const signals = [signal, this.#deadline].filter((s) => s !== undefined);
    this.signal = signals.length === 1 ? signals[0]! : AbortSignal.any(signals);
  }

  /** Connections opened so far. */
  get attempts(): number {
    return this.#attempts;
  }

  /** Counts one more connection. */
  begin(): void {
    this.#attempts++;
  }

  /** True when another attempt would exceed the policy. */
  get exhausted(): boolean {
    return this.#attempts >= this.policy.maxAttempts;
  }

  /** True when the operation's deadline (not the caller) ended it. */
  get timedOut(): boolean {
    return this.#deadline?.aborted === true && this.#caller?.aborted !== true;
  }

  /** Waits before the next attempt: `delayMs` when the registry asked for it, else backoff. */
  async pause(delayMs?: number): Promise<void> {
    await sleep(delayMs ?? backoffDelay(this.policy, this.#attempts), this.signal);
  }
}
