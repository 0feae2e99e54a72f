/**
 * The endpoints one pull (or a copy from a registry, or a refetch) reads from: the repository's
 * mirrors in order (transport/mirrors.ts), then its origin. Every read (a tag, a manifest, a
 * config, a layer) goes to the first endpoint that serves it, verified there: a mirror that
 * cannot be reached, answers with an error, or serves content that does not match the digest
 * asked for is skipped with a warning and the next endpoint asked; the origin's failure is the
 * pull's. A mirror that cannot be reached at all is not asked again during the command.
 */
import { isShaleError } from '../../core/errors.ts';
import type { NamedReference } from '../../core/reference.ts';
import type { RegistryClient } from '../client.ts';
import { RemoteRepository } from '../repository.ts';
import { isTransientNetworkError } from '../transport/retry-policy.ts';

/** A value and the endpoint that served it. */
export interface Served<T> {
  value: T;
  endpoint: RemoteRepository;
}

/** Failures of an endpoint, not of the store or the caller: another endpoint may do better. */
const ENDPOINT_FAILURES = new Set([
  'ERR_NETWORK',
  'ERR_REGISTRY',
  'ERR_AUTH',
  'ERR_NOT_FOUND',
  'ERR_DIGEST_MISMATCH',
  'ERR_SIZE_MISMATCH',
  'ERR_INVALID_ARGUMENT',
  'ERR_INVALID_DIGEST',
  'ERR_UNSUPPORTED',
  'ERR_BAD_COMPRESSION',
  'ERR_LIMIT',
]);

function endpointFailure(err: unknown): boolean {
  return isShaleError(err) ? ENDPOINT_FAILURES.has(err.code) : isTransientNetworkError(err);
}

export class PullEndpoints {
  /** The repository itself: the source of truth recorded for later mounts and refetches. */
  readonly origin: RemoteRepository;
  readonly #mirrors: RemoteRepository[];
  readonly #unreachable = new Set<RemoteRepository>();

  constructor(
    client: RegistryClient,
    ref: NamedReference,
    private readonly warn: (message: string) => void,
  ) {
    this.origin = new RemoteRepository(client, ref, ['pull']);
    this.#mirrors = client
      .mirrors(ref.domain, ref.path, ref.digest !== undefined)
      .map((m) => new RemoteRepository(client, m, ['pull']));
  }

  /**
   * `read` from the first endpoint that serves `what`, passing over those in `skip`. `read` gets
   * the endpoint, and whether an earlier endpoint failed for this read (so that nothing it left
   * behind is trusted).
   */
  async first<T>(
    what: string,
    read: (endpoint: RemoteRepository, afterFailure: boolean) => Promise<T>,
    signal?: AbortSignal,
    skip: ReadonlySet<RemoteRepository> = new Set(),
  ): Promise<Served<T>> {
    let afterFailure = false;
    for (const mirror of this.#mirrors) {
      if (this.#unreachable.has(mirror) || skip.has(mirror)) continue;
      try {
        return { value: await read(mirror, afterFailure), endpoint: mirror };
      } catch (err) {
        signal?.throwIfAborted();
        if (!endpointFailure(err)) throw err;
        afterFailure = true;
        this.passOver(mirror, what, err);
      }
    }
    return { value: await read(this.origin, afterFailure), endpoint: this.origin };
  }

  /**
   * Say that `endpoint` failed to serve `what` (`err`), when it is a mirror, and whether it is:
   * what a caller that found the damage only after `first` returned asks before reading again.
   */
  passOver(endpoint: RemoteRepository, what: string, err: unknown): boolean {
    if (!this.#mirrors.includes(endpoint)) return false;
    const down = isShaleError(err, 'ERR_NETWORK') || isTransientNetworkError(err);
    if (down) this.#unreachable.add(endpoint);
    const reason = err instanceof Error ? err.message : String(err);
    this.warn(
      `mirror ${endpoint.domain} failed to serve ${what} (${reason}); ${down ? 'not asking it again during this command, ' : ''}trying the next endpoint`,
    );
    return true;
  }
}
