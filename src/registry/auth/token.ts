/**
 * Docker's bearer token flow (distribution spec auth/token and auth/oauth): with an identity
 * (refresh) token, POST an OAuth2 `refresh_token` grant to the realm; otherwise GET the realm
 * with `service`, one `scope` per scope and Basic credentials (or none, for anonymous). The
 * answer's `token` or `access_token` and `expires_in` make a `BearerToken`.
 */
import { ShaleError } from '../../core/errors.ts';
import { authRefusal, RegistryError, type RequestTarget } from '../errors.ts';
import { readJsonBody } from '../transport/body.ts';
import type { HttpResponse } from '../transport/response.ts';
import type { Transport } from '../transport/transport.ts';
import type { Challenge } from './challenge.ts';
import { credentialLabel, type Credential } from './credentials.ts';
import { formatScope, parseScope, type Scope } from './scope.ts';

/** A `Bearer` challenge's parameters. */
export interface BearerChallenge {
  readonly realm: string;
  readonly service?: string;
  /** The scopes the registry named (the `scope` attribute may hold several, space-separated). */
  readonly scopes: readonly Scope[];
  /** `insufficient_scope`, `invalid_token`, … */
  readonly error?: string;
}

export interface BearerToken {
  readonly value: string;
  /** Milliseconds since the epoch after which the token is not used any more. */
  readonly expiresAt: number;
}

/** Docker's floor for `expires_in`: a token is good for at least a minute. */
const MIN_EXPIRES_IN_S = 60;
/** Tokens are dropped this long before they expire so that no request races the expiry. */
const EXPIRY_MARGIN_MS = 5_000;
const CLIENT_ID = 'shale';
const TOKEN_BODY_LIMIT = 1 << 20;

/** The bearer parameters of a challenge, or `undefined` when it is not a usable Bearer one. */
export function bearerChallenge(challenge: Challenge): BearerChallenge | undefined {
  const { realm, service, scope, error } = challenge.params;
  if (challenge.scheme !== 'bearer' || realm === undefined || realm === '') return undefined;
  const scopes = (scope ?? '')
    .split(' ')
    .map(parseScope)
    .filter((s) => s !== undefined);
  return { realm, service, scopes, error };
}

/** Asks the token service for a token covering `scopes`. */
export async function fetchToken(
  transport: Transport,
  challenge: BearerChallenge,
  scopes: readonly Scope[],
  credential: Credential | undefined,
  target: RequestTarget,
  signal?: AbortSignal,
): Promise<BearerToken> {
  const realm = realmUrl(challenge.realm, target);
  const scopeTexts = scopes.map(formatScope);
  let response: HttpResponse;
  if (credential?.identityToken !== undefined) {
    const form = new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: credential.identityToken,
      client_id: CLIENT_ID,
    });
    if (challenge.service !== undefined) form.set('service', challenge.service);
    if (scopeTexts.length > 0) form.set('scope', scopeTexts.join(' '));
    response = await transport.send({
      method: 'POST',
      url: realm,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
      retryable: true,
      signal,
    });
  } else {
    if (challenge.service !== undefined) realm.searchParams.set('service', challenge.service);
    for (const scope of scopeTexts) realm.searchParams.append('scope', scope);
    const headers: Record<string, string> = {};
    if (credential?.username !== undefined && credential.password !== undefined) {
      realm.searchParams.set('account', credential.username);
      headers.authorization = basicAuthorization(credential.username, credential.password);
    }
    response = await transport.send({ method: 'GET', url: realm, headers, signal });
  }
  return readToken(response, credential, target);
}

/** `Basic base64(user:password)`. */
export function basicAuthorization(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

function realmUrl(realm: string, target: RequestTarget): URL {
  let url: URL;
  try {
    url = new URL(realm);
  } catch {
    url = new URL('invalid:');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ShaleError(
      'ERR_REGISTRY',
      `registry ${target.host} names a token realm that is not an HTTP URL`,
    );
  }
  return url;
}

async function readToken(
  response: HttpResponse,
  credential: Credential | undefined,
  target: RequestTarget,
): Promise<BearerToken> {
  const service = response.url.origin;
  if (response.status === 401 || response.status === 403) {
    await response.discard();
    const who = credential === undefined ? 'anonymous access' : credentialLabel(credential);
    throw authRefusal(
      target,
      `the token service ${service} rejected ${who} (HTTP ${response.status})`,
      { status: response.status, hasCredential: credential !== undefined },
    );
  }
  if (!response.ok) {
    await response.discard();
    throw new RegistryError(
      'ERR_REGISTRY',
      `the token service ${service} of registry ${target.host} answered HTTP ${response.status} — try again later`,
      { status: response.status, host: target.host },
    );
  }
  const doc = (await readJsonBody(response.body, TOKEN_BODY_LIMIT)) as Record<string, unknown>;
  const value = typeof doc.token === 'string' && doc.token !== '' ? doc.token : doc.access_token;
  if (typeof value !== 'string' || value === '') {
    throw new RegistryError(
      'ERR_REGISTRY',
      `the token service ${service} of registry ${target.host} answered without a token`,
      { status: response.status, host: target.host },
    );
  }
  const expiresIn = Math.max(
    MIN_EXPIRES_IN_S,
    typeof doc.expires_in === 'number' ? doc.expires_in : 0,
  );
  // Timed from receipt, not `issued_at`: the token service's clock may be off.
  return { value, expiresAt: Date.now() + expiresIn * 1000 - EXPIRY_MARGIN_MS };
}
