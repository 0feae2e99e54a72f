/**
 * The ShaleError for a request to a host that failed below HTTP status level: ERR_NETWORK when the
 * host could not be reached or its answer stalled or broke off (after the retries), ERR_REGISTRY
 * when it answered with something that is not valid HTTP, and the operation's deadline when that
 * ended it. Messages name the origin only (no path, query or headers).
 */
import { ShaleError } from '../../core/errors.ts';
import { describeNetworkFailure } from '../../core/system-errors.ts';
import type { RetryBudget } from './retry-policy.ts';

export function networkError(target: URL | string, err: unknown, attempts: number): ShaleError {
  const origin = new URL(target).origin;
  const failure = describeNetworkFailure(err);
  if (failure?.kind === 'bad-answer') {
    return new ShaleError(
      'ERR_REGISTRY',
      `registry ${origin} sent a broken answer: ${failure.reason}`,
      { cause: err },
    );
  }
  const reason = failure?.reason ?? (err as Error).message;
  const tries = attempts > 1 ? ` (gave up after ${attempts} attempts)` : '';
  const message =
    failure?.kind === 'broke-off'
      ? `registry ${origin} stopped answering: ${reason}${tries} — check the network and the registry, then try again (a pull resumes; SHALE_READ_TIMEOUT sets the read timeout)`
      : `cannot reach ${origin}: ${reason}${tries} — check the network, the proxy settings and that the registry is running`;
  return new ShaleError('ERR_NETWORK', message, { cause: err });
}

/**
 * Why an operation with `budget` stopped: the caller's own abort reason as it is, the deadline as
 * ERR_NETWORK, any other failure as `networkError` (ShaleErrors pass through).
 */
export function budgetFailure(target: URL | string, err: unknown, budget: RetryBudget): unknown {
  if (budget.timedOut) {
    const seconds = budget.policy.operationTimeoutMs / 1000;
    const tries = budget.attempts > 1 ? ` (${budget.attempts} attempts)` : '';
    return new ShaleError(
      'ERR_NETWORK',
      `${new URL(target).origin} did not finish sending within ${seconds} s${tries} — check the network, or raise the limit (SHALE_BLOB_TIMEOUT)`,
      { cause: err },
    );
  }
  if (budget.signal.aborted) return budget.signal.reason as unknown;
  if (err instanceof ShaleError) return err;
  return networkError(target, err, budget.attempts);
}

/** The budget's pause before another attempt; its end by abort or deadline as budgetFailure. */
export async function pauseBeforeRetry(
  budget: RetryBudget,
  target: URL | string,
  delayMs?: number,
): Promise<void> {
  try {
    await budget.pause(delayMs);
  } catch (err) {
    throw budgetFailure(target, err, budget);
  }
}
