/**
 * `login` and `logout`: check credentials against a registry (GET /v2/ must succeed with them),
 * then keep them where Docker would: in the host's credential helper (`credHelpers`/`credsStore`)
 * or base64 in `auths` of config.json; `logout` removes them from both.
 */
import { ShaleError } from '../../core/errors.ts';
import { errorFromResponse } from '../errors.ts';
import { Transport, type TransportOptions } from '../transport/transport.ts';
import { Authenticator } from './authenticator.ts';
import { helperErase, helperStore } from './credential-helper.ts';
import { staticCredentials, type Credential } from './credentials.ts';
import {
  configKey,
  entryFromCredential,
  authKeysFor,
  helperFor,
  readDockerConfig,
  writeDockerConfig,
  type DockerConfigLocation,
} from './docker-config.ts';

export interface LoginOptions extends DockerConfigLocation, TransportOptions {
  /** A transport to reuse; by default one is made from the options and closed afterwards. */
  readonly transport?: Transport;
  readonly signal?: AbortSignal;
}

/** Verifies `credential` against `host`, then stores it. ERR_AUTH when the registry refuses it. */
export async function login(
  host: string,
  credential: Credential,
  options: LoginOptions = {},
): Promise<void> {
  if (credential.username === undefined || credential.password === undefined) {
    throw new ShaleError('ERR_INVALID_ARGUMENT', 'login needs a username and a password');
  }
  const transport = options.transport ?? new Transport(options);
  try {
    await verifyCredential(transport, host, credential, options.signal);
  } finally {
    if (options.transport === undefined) await transport.close();
  }
  await storeCredential(host, credential, options);
}

/** Sends GET /v2/ to `host` authorised with `credential`; throws unless it succeeds. */
export async function verifyCredential(
  transport: Transport,
  host: string,
  credential: Credential,
  signal?: AbortSignal,
): Promise<void> {
  const endpoint = transport.endpoint(host);
  const target = { host, operation: 'login' };
  const authenticator = new Authenticator(transport, staticCredentials({ [host]: credential }));
  const authorization = await authenticator.authorize(endpoint, [], target, signal);
  const response = await transport.send({
    method: 'GET',
    url: `${endpoint.origin}/v2/`,
    headers: authorization === undefined ? {} : { authorization },
    signal,
  });
  if (!response.ok) throw await errorFromResponse(response, 'GET', target, true);
  await response.discard();
}

/** Stores a credential for `host` in its helper, or in `auths` when it has none. */
export async function storeCredential(
  host: string,
  credential: Credential,
  options: LoginOptions = {},
): Promise<void> {
  const config = await readDockerConfig(options);
  const key = configKey(host);
  const helper = helperFor(config, host);
  const auths: Record<string, unknown> = { ...config.auths };
  for (const stale of authKeysFor(auths, host)) delete auths[stale];
  if (helper !== undefined) {
    await helperStore(helper, key, credential, options.signal);
    auths[key] = {};
  } else {
    auths[key] = entryFromCredential(credential);
  }
  await writeDockerConfig(config.file, { ...config.raw, auths });
}

/** Removes the credentials of `host` from its helper and from `auths`; true when any existed. */
export async function logout(host: string, options: LoginOptions = {}): Promise<boolean> {
  const config = await readDockerConfig(options);
  const helper = helperFor(config, host);
  const erased =
    helper !== undefined && (await helperErase(helper, configKey(host), options.signal));
  const auths: Record<string, unknown> = { ...config.auths };
  const stale = authKeysFor(auths, host);
  for (const key of stale) delete auths[key];
  const removed = stale.length > 0;
  if (removed) await writeDockerConfig(config.file, { ...config.raw, auths });
  return erased || removed;
}
