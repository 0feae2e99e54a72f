/**
 * The network time limits a user can set through the environment: `SHALE_READ_TIMEOUT`, seconds
 * an answer may go without a byte (default 30), and `SHALE_BLOB_TIMEOUT`, seconds one blob or
 * document may take, every retry included (default 3600). `0` lifts a limit; fractions are allowed.
 */
import { ShaleError } from '../core/errors.ts';
import type { RetryPolicy } from '../registry/transport/retry-policy.ts';

function secondsFromEnv(name: string): number | undefined {
  const text = process.env[name]?.trim();
  if (text === undefined || text === '') return undefined;
  const seconds = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || !Number.isFinite(seconds)) {
    throw new ShaleError(
      'ERR_INVALID_ARGUMENT',
      `${name} must be a number of seconds (0 for no limit), not ${JSON.stringify(text)}`,
    );
  }
  return Math.round(seconds * 1000);
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
