/**
 * `RegistryClient`: one call per registry API request. It builds the URL (`/v2/<name>/<path>`,
 * or an upload `Location`), authorises it for the repository's scopes (pinging the host once,
 * fetching and caching tokens), answers a 401 by re-authorising and sending once more, and turns
 * failure answers into `RegistryError`s. Responses are streamed; `fetchBytes` reads small ones.
 */
import { hasSecret, type CredentialSource } from './auth/credentials.ts';
import { Authenticator } from './auth/authenticator.ts';
import { dockerConfigCredentials } from './auth/docker-credentials.ts';
import { repositoryScope, type Action, type Scope } from './auth/scope.ts';
import { errorFromResponse, type RequestTarget } from './errors.ts';
import {
  DEFAULT_JSON_LIMIT,
  isReplayable,
  readBodyBytes,
  type RequestBody,
} from './transport/body.ts';
import type { RegistryEndpoint } from './transport/endpoint.ts';
import { mirrorsFor, type MirrorRepository, type MirrorRule } from './transport/mirrors.ts';
import { budgetFailure, pauseBeforeRetry } from './transport/network-error.ts';
import type { HttpResponse } from './transport/response.ts';
import { isTransientNetworkError, type RetryBudget } from './transport/retry-policy.ts';
import { Transport, type TransportOptions } from './transport/transport.ts';
import { ShaleError } from '../core/errors.ts';

export interface RegistryClientOptions extends TransportOptions {
  /** Where credentials come from; default: Docker's config.json and its helpers. */
  readonly credentials?: CredentialSource;
  /** A transport to share; by default the client makes one from the options and owns it. */
  readonly transport?: Transport;
  /** Registries that may serve pulls before their origins (transport/mirrors.ts). */
  readonly mirrors?: readonly MirrorRule[];
}

export interface RegistryRequest {
  /** The registry as references name it (`docker.io`, `127.0.0.1:5000`). */
  readonly host: string;
  /** The repository path (`library/alpine`). */
  readonly repository: string;
  readonly method: string;
  /** The part after `/v2/<repository>/` (`manifests/latest`, `blobs/uploads/?mount=…`). */
  readonly path?: string;
  /** Instead of `path`: a URL the registry handed out (an upload `Location`), absolute or not. */
  readonly url?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: RequestBody;
  /** What the request needs on `repository`: `['pull']`, `['pull', 'push']`, … */
  readonly actions: readonly Action[];
  /** More scopes, e.g. `pull` on the source repository of a cross-repository mount. */
  readonly extraScopes?: readonly Scope[];
  readonly signal?: AbortSignal;
  /** Repeat on transient failures. Default: true for GET and HEAD. */
  readonly retryable?: boolean;
  /** Failure statuses to hand back as responses instead of throwing (e.g. `[404]`). */
  readonly acceptStatus?: readonly number[];
  /** The operation (a blob download) this request is one attempt of; its attempts are shared. */
  readonly budget?: RetryBudget;
}

export class RegistryClient {
  readonly transport: Transport;
  readonly #ownsTransport: boolean;
  readonly #auth: Authenticator;
  readonly #mirrors: readonly MirrorRule[];

  constructor(options: RegistryClientOptions = {}) {
    this.#mirrors = options.mirrors ?? [];
    this.transport = options.transport ?? new Transport(options);
    this.#ownsTransport = options.transport === undefined;
    this.#auth = new Authenticator(
      this.transport,
      options.credentials ?? dockerConfigCredentials(),
    );
  }

  /** Where the API of a reference domain lives. */
  endpoint(host: string): RegistryEndpoint {
    return this.transport.endpoint(host);
  }

  /** The mirrors to try, in order, before the origin, for a pull of `path` on `host`. */
  mirrors(host: string, path: string, byDigest: boolean): MirrorRepository[] {
    return mirrorsFor(this.#mirrors, host, path, byDigest);
  }

  /**
   * Sends one registry request and resolves with the streamed response (2xx, 3xx that were not
   * redirects, or a status in `acceptStatus`). Read or `discard()` its body. Throws RegistryError
   * for failure answers (ERR_AUTH for 401/403) and ShaleError ERR_NETWORK when the registry
   * cannot be reached. A 401 is answered once with fresh authorization when the body can be sent
   * again; a one-shot stream body gets no second try.
   */
  async request(request: RegistryRequest): Promise<HttpResponse> {
    const method = request.method.toUpperCase();
    const endpoint = this.endpoint(request.host);
    const target = targetOf(request, method);
    const url = urlOf(endpoint, request);
    const sameOrigin = url.origin === endpoint.origin;
    let scopes: Scope[] = [
      repositoryScope(request.repository, request.actions),
      ...(request.extraScopes ?? []),
    ];
    for (let attempt = 1; ; attempt++) {
      const authorization = sameOrigin
        ? await this.#auth.authorize(endpoint, scopes, target, request.signal)
        : undefined;
      const response = await this.transport.send({
        method,
        url,
        headers: { ...request.headers, ...(authorization && { authorization }) },
        body: request.body,
        retryable: request.retryable,
        signal: request.signal,
        ...(request.budget && { budget: request.budget }),
      });
      if (response.status === 401 && attempt === 1 && isReplayable(request.body)) {
        scopes = [...scopes, ...(await this.#auth.rejected(endpoint, scopes, response))];
        await response.discard();
        continue;
      }
      if (response.status < 400 || request.acceptStatus?.includes(response.status)) {
        return response;
      }
      const credential = await this.#auth.credential(request.host, request.signal);
      throw await errorFromResponse(response, method, target, hasSecret(credential));
    }
  }

  /**
   * `request` plus reading the whole body (at most `maxBytes`, default 4 MiB): for manifests,
   * indexes and other small documents. A connection lost while reading the body of a retryable
   * request sends the request again; every connection spends one budget.
   */
  async fetchBytes(
    request: RegistryRequest,
    maxBytes: number = DEFAULT_JSON_LIMIT,
  ): Promise<{ response: HttpResponse; bytes: Buffer }> {
    const method = request.method.toUpperCase();
    const retryable =
      (request.retryable ?? (method === 'GET' || method === 'HEAD')) && isReplayable(request.body);
    const budget = request.budget ?? this.transport.budget(request.signal);
    for (;;) {
      const response = await this.request({ ...request, budget });
      try {
        return { response, bytes: await readBodyBytes(response.body, maxBytes) };
      } catch (err) {
        const retry = retryable && !budget.exhausted && isTransientNetworkError(err);
        if (!retry || budget.signal.aborted) throw budgetFailure(response.url, err, budget);
        await pauseBeforeRetry(budget, response.url);
      }
    }
  }

  /** Closes the connections of the transport the client made (not of a shared one). */
  async close(): Promise<void> {
    if (this.#ownsTransport) await this.transport.close();
  }
}

function targetOf(request: RegistryRequest, method: string): RequestTarget {
  const { actions } = request;
  const operation =
    method === 'DELETE' || actions.includes('delete')
      ? 'delete'
      : actions.includes('push')
        ? 'push'
        : 'pull';
  return { host: request.host, repository: request.repository, operation };
}

function urlOf(endpoint: RegistryEndpoint, request: RegistryRequest): URL {
  if (request.url !== undefined) return new URL(request.url, endpoint.origin);
  if (request.path === undefined) {
    throw new ShaleError('ERR_INVALID_ARGUMENT', 'a registry request needs a path or a url');
  }
  return new URL(`/v2/${request.repository}/${request.path}`, endpoint.origin);
}
