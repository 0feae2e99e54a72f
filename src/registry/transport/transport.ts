/**
 * The HTTP transport every registry call goes through: picks the connection pool for the
 * destination, follows redirects by hand (at most five), and repeats idempotent requests on
 * transient failures with jittered backoff or the registry's `Retry-After`, spending the
 * operation's RetryBudget (retry-policy.ts). Every answer has the policy's idle timeout. Responses
 * stay streamed. It knows nothing about registry auth or error bodies; the client does.
 */
import { ShaleError } from '../../core/errors.ts';
import { bodyForAttempt, isReplayable, type RequestBody } from './body.ts';
import { Dispatchers } from './dispatchers.ts';
import { resolveEndpoint, type HostSettings, type RegistryEndpoint } from './endpoint.ts';
import { REDIRECT_STATUSES, redirectStep } from './redirect.ts';
import { budgetFailure, pauseBeforeRetry } from './network-error.ts';
import { HttpResponse } from './response.ts';
import {
  DEFAULT_RETRY_POLICY,
  RetryBudget,
  isTransientNetworkError,
  isTransientStatus,
  retryAfterDelay,
  type RetryPolicy,
} from './retry-policy.ts';

export interface TransportOptions extends HostSettings {
  /** `User-Agent` sent with every request. */
  readonly userAgent?: string;
  /** Overrides of the default retry policy (5 attempts, 100 ms base delay, 30 s idle timeout). */
  readonly retry?: Partial<RetryPolicy>;
}

export interface HttpRequest {
  readonly method: string;
  readonly url: URL | string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: RequestBody;
  /** Repeat on transient failures. Default: true for GET and HEAD. Never for a one-shot stream. */
  readonly retryable?: boolean;
  readonly signal?: AbortSignal;
  /** The operation this request belongs to; by default the request is an operation of its own. */
  readonly budget?: RetryBudget;
}

export const MAX_REDIRECTS = 5;
const DEFAULT_USER_AGENT = 'shale';

export class Transport {
  readonly retryPolicy: RetryPolicy;
  readonly #settings: HostSettings;
  readonly #userAgent: string;
  readonly #dispatchers: Dispatchers;

  constructor(options: TransportOptions = {}) {
    this.#settings = {
      insecureHosts: options.insecureHosts,
      caFiles: options.caFiles,
      certsDir: options.certsDir,
    };
    this.#userAgent = options.userAgent ?? DEFAULT_USER_AGENT;
    this.retryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.#dispatchers = new Dispatchers(this.#settings);
  }

  /** Where the registry API of a reference domain lives under this transport's settings. */
  endpoint(host: string): RegistryEndpoint {
    return resolveEndpoint(host, this.#settings);
  }

  /** A budget for one operation (a blob, a document) under this transport's policy. */
  budget(signal?: AbortSignal): RetryBudget {
    return new RetryBudget(this.retryPolicy, signal);
  }

  /**
   * Sends a request and resolves with the response once its headers arrive. Transient failures
   * of a retryable request are repeated while its budget lasts; then a network failure becomes
   * ERR_NETWORK (ERR_REGISTRY for an answer that is not valid HTTP) and a 5xx/429 answer is
   * returned as it is.
   */
  async send(request: HttpRequest): Promise<HttpResponse> {
    const method = request.method.toUpperCase();
    const retryable =
      (request.retryable ?? (method === 'GET' || method === 'HEAD')) && isReplayable(request.body);
    const budget = request.budget ?? this.budget(request.signal);
    for (;;) {
      if (budget.signal.aborted) throw budgetFailure(request.url, budget.signal.reason, budget);
      budget.begin();
      let response: HttpResponse;
      try {
        response = await this.#followRedirects(request, method, budget.signal);
      } catch (err) {
        const retry = retryable && !budget.exhausted && isTransientNetworkError(err);
        if (!retry || budget.signal.aborted) throw budgetFailure(request.url, err, budget);
        await pauseBeforeRetry(budget, request.url);
        continue;
      }
      if (!retryable || budget.exhausted || !isTransientStatus(response.status)) {
        return response;
      }
      await response.discard();
      await pauseBeforeRetry(
        budget,
        request.url,
        retryAfterDelay(response.header('retry-after'), budget.policy),
      );
    }
  }

  /** Closes every connection pool. */
  async close(): Promise<void> {
    await this.#dispatchers.close();
  }

  async #followRedirects(
    request: HttpRequest,
    method: string,
    signal: AbortSignal,
  ): Promise<HttpResponse> {
    let url = new URL(request.url);
    let headers: Record<string, string> = { 'user-agent': this.#userAgent, ...request.headers };
    let body = request.body;
    for (let redirects = 0; ; redirects++) {
      const response = await this.#sendOnce(url, method, headers, body, signal);
      if (!REDIRECT_STATUSES.has(response.status)) return response;
      await response.discard();
      if (redirects >= MAX_REDIRECTS) {
        throw new ShaleError(
          'ERR_REGISTRY',
          `${url.host} redirected more than ${MAX_REDIRECTS} times`,
        );
      }
      const step = redirectStep(url, response.status, response.header('location'), method, headers);
      if (step.keepBody && body !== undefined && !isReplayable(body)) {
        throw new ShaleError(
          'ERR_REGISTRY',
          `${url.host} redirected a ${method} whose streamed body cannot be sent again`,
        );
      }
      ({ url, method, headers } = step);
      if (!step.keepBody) body = undefined;
    }
  }

  async #sendOnce(
    url: URL,
    method: string,
    headers: Record<string, string>,
    body: RequestBody | undefined,
    signal: AbortSignal,
  ): Promise<HttpResponse> {
    const idle = this.retryPolicy.readTimeoutMs;
    const answer = await this.#dispatchers.request(url, {
      method,
      headers,
      body: body === undefined ? null : bodyForAttempt(body),
      signal,
      headersTimeout: idle,
      bodyTimeout: idle,
    });
    return new HttpResponse(answer.statusCode, url, answer.headers, answer.body);
  }
}
