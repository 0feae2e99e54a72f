/**
 * Per-registry authorization: learns each host's challenge once (GET /v2/, as Docker does), then
 * gives every request the `Authorization` it needs for its scopes: a cached bearer token, Basic
 * credentials, or nothing. A 401 teaches it the registry's current challenge and drops the token
 * that was refused, so the caller can try once more.
 */
import { errorFromResponse, type RequestTarget } from '../errors.ts';
import type { RegistryEndpoint } from '../transport/endpoint.ts';
import type { HttpResponse } from '../transport/response.ts';
import type { Transport } from '../transport/transport.ts';
import { parseChallenges, type Challenge } from './challenge.ts';
import type { Credential, CredentialSource } from './credentials.ts';
import { formatScope, mergeScopes, type Scope } from './scope.ts';
import { TokenCache } from './token-cache.ts';
import { basicAuthorization, bearerChallenge, fetchToken } from './token.ts';

export class Authenticator {
  readonly #transport: Transport;
  readonly #credentials: CredentialSource;
  readonly #challenges = new Map<string, Promise<Challenge[]>>();
  readonly #tokens = new TokenCache();

  constructor(transport: Transport, credentials: CredentialSource) {
    this.#transport = transport;
    this.#credentials = credentials;
  }

  /** The credential for a host, as the credential source answers. */
  credential(host: string, signal?: AbortSignal): Promise<Credential | undefined> {
    return this.#credentials.get(host, signal);
  }

  /** The `Authorization` value for a request needing `scopes`, or `undefined` for none. */
  async authorize(
    endpoint: RegistryEndpoint,
    scopes: readonly Scope[],
    target: RequestTarget,
    signal?: AbortSignal,
  ): Promise<string | undefined> {
    const challenges = await this.#challengesOf(endpoint, target, signal);
    const credential = await this.credential(endpoint.host, signal);
    const bearer = challenges.map(bearerChallenge).find((c) => c !== undefined);
    if (bearer !== undefined) {
      if (credential?.registryToken !== undefined) return `Bearer ${credential.registryToken}`;
      const merged = mergeScopes(scopes);
      const token = await this.#tokens.get(this.#tokenKey(endpoint, challenges, merged), () =>
        fetchToken(this.#transport, bearer, merged, credential, target, signal),
      );
      return `Bearer ${token}`;
    }
    const basic = challenges.some((c) => c.scheme === 'basic');
    if (basic && credential?.username !== undefined && credential.password !== undefined) {
      return basicAuthorization(credential.username, credential.password);
    }
    return undefined;
  }

  /**
   * Learns from a 401 answer to a request that carried `scopes`: the refused token is dropped and
   * the answer's challenges replace the host's. Returns the scopes the registry asked for.
   */
  async rejected(
    endpoint: RegistryEndpoint,
    scopes: readonly Scope[],
    response: HttpResponse,
  ): Promise<Scope[]> {
    const known = await this.#challenges.get(endpoint.host)?.catch(() => undefined);
    if (known !== undefined)
      this.#tokens.invalidate(this.#tokenKey(endpoint, known, mergeScopes(scopes)));
    const fresh = parseChallenges(response.headerValues('www-authenticate'));
    if (fresh.length > 0) this.#challenges.set(endpoint.host, Promise.resolve(fresh));
    return fresh.flatMap((c) => bearerChallenge(c)?.scopes ?? []);
  }

  #challengesOf(
    endpoint: RegistryEndpoint,
    target: RequestTarget,
    signal: AbortSignal | undefined,
  ): Promise<Challenge[]> {
    let challenges = this.#challenges.get(endpoint.host);
    if (challenges === undefined) {
      challenges = this.#ping(endpoint, target, signal);
      this.#challenges.set(endpoint.host, challenges);
      void challenges.catch(() => this.#challenges.delete(endpoint.host));
    }
    return challenges;
  }

  /** GET /v2/ without credentials: 200 means no auth, 401 carries the challenges. */
  async #ping(
    endpoint: RegistryEndpoint,
    target: RequestTarget,
    signal: AbortSignal | undefined,
  ): Promise<Challenge[]> {
    const response = await this.#transport.send({
      method: 'GET',
      url: `${endpoint.origin}/v2/`,
      signal,
    });
    if (response.ok) {
      await response.discard();
      return [];
    }
    if (response.status === 401) {
      await response.discard();
      return parseChallenges(response.headerValues('www-authenticate'));
    }
    throw await errorFromResponse(response, 'GET', target, false);
  }

  #tokenKey(endpoint: RegistryEndpoint, challenges: Challenge[], scopes: readonly Scope[]): string {
    const bearer = challenges.map(bearerChallenge).find((c) => c !== undefined);
    return [endpoint.host, bearer?.realm, bearer?.service, ...scopes.map(formatScope)].join('\n');
  }
}
