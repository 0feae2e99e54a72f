/**
 * The network time limits a user can set through the environment: `SHALE_READ_TIMEOUT`, seconds
 * an answer may go without a byte (default 30), and `SHALE_BLOB_TIMEOUT`, seconds one blob or
 * document may take, every retry included (default 3600). `0` lifts a limit; fractions are allowed.
 */
import { limitFromEnv } from '../core/index.ts';
import type { RetryPolicy } from '../registry/index.ts';

/** Milliseconds from a number of seconds in `name`; 0 (no limit) stays 0, as undici and the policy read it. */
function secondsFromEnv(name: string): number | undefined {
  const seconds = limitFromEnv(name, { unit: 'a number of seconds' });
  if (seconds === undefined) return undefined;
  return seconds === Infinity ? 0 : Math.round(seconds * 1000);
}

/** The retry-policy overrides the environment asks for. */
export function networkLimitsFromEnv(): Partial<RetryPolicy> {
  const read = secondsFromEnv('SHALE_READ_TIMEOUT');
  const blob = secondsFromEnv('SHALE_BLOB_TIMEOUT');
  return {
    ...(read !== undefined && { readTimeoutMs: read }),
    ...(blob !== undefined && { operationTimeoutMs: blob }),
  };
}
