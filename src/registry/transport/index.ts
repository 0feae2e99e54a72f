/**
 * The registry HTTP transport: endpoints (scheme, Docker Hub's API host), connection pools with
 * proxy and CA settings, redirects, retries and streamed responses.
 */
export {
  resolveEndpoint,
  isLoopbackHost,
  isDockerHub,
  hostnameOf,
  type HostSettings,
  type RegistryEndpoint,
} from './endpoint.ts';
export {
  DEFAULT_RETRY_POLICY,
  backoffDelay,
  retryAfterDelay,
  isTransientStatus,
  isTransientNetworkError,
  RetryBudget,
  type RetryPolicy,
} from './retry-policy.ts';
export {
  isReplayable,
  readBodyBytes,
  readJsonBody,
  DEFAULT_JSON_LIMIT,
  type RequestBody,
} from './body.ts';
export { HttpResponse } from './response.ts';
export { Transport, MAX_REDIRECTS, type TransportOptions, type HttpRequest } from './transport.ts';
