/** ERR_NETWORK for a connection that failed; it names the origin only (no path, query, headers). */
import { ShaleError } from '../../core/errors.ts';

export function networkError(target: URL | string, err: unknown, attempts: number): ShaleError {
  const origin = new URL(target).origin;
  const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
  const tries = attempts > 1 ? ` (gave up after ${attempts} attempts)` : '';
  return new ShaleError(
    'ERR_NETWORK',
    `cannot reach ${origin}: ${reason}${tries} — check the network, the proxy settings and that the registry is running`,
    { cause: err },
  );
}
