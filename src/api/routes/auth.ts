/**
 * `POST /auth` (`docker login` through the daemon): the body's credentials are checked against
 * the registry (GET /v2/ must succeed with them) and nothing is stored — the docker CLI keeps
 * them in its own config and sends them back with each pull or push (`X-Registry-Auth`).
 */
import { ShaleError } from '../../core/index.ts';
import { registryOptionsFromEnv, Transport, verifyCredential } from '../../registry/index.ts';
import { HttpError } from '../errors.ts';
import type { ApiRequest } from '../request.ts';
import type { Router } from '../router.ts';

/** The registry host a `serveraddress` names (`https://index.docker.io/v1/` is Docker Hub). */
function registryHost(serverAddress: string): string {
  const host = serverAddress.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
  return host === '' || host === 'index.docker.io' || host === 'registry-1.docker.io'
    ? 'docker.io'
    : host;
}

function text(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

async function auth(request: ApiRequest): Promise<void> {
  const body = await request.readJson();
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new HttpError(400, 'the body must be a JSON object with username and password');
  const fields = body as Record<string, unknown>;
  const username = text(fields, 'username');
  const password = text(fields, 'password');
  const identityToken = text(fields, 'identitytoken');
  if (identityToken === undefined && (username === undefined || password === undefined))
    throw new HttpError(400, 'login needs a username and a password');
  const host = registryHost(text(fields, 'serveraddress') ?? '');
  const transport = new Transport(registryOptionsFromEnv());
  try {
    await verifyCredential(
      transport,
      host,
      identityToken === undefined ? { username, password } : { username, identityToken },
      request.signal,
    );
  } catch (err) {
    if (err instanceof ShaleError && err.code === 'ERR_AUTH')
      throw new HttpError(401, `login to ${host} failed: ${err.message}`);
    throw err;
  } finally {
    await transport.close();
  }
  request.json(200, { Status: 'Login Succeeded', IdentityToken: '' });
}

export function authRoutes(router: Router): void {
  router.add('POST', /^\/auth$/, auth);
}
