/**
 * Registry credentials for one request, from its `X-Registry-Auth` header: base64url of the
 * docker CLI's AuthConfig JSON (`username`/`password`, or `auth` = base64 `user:pass`,
 * `identitytoken`, `registrytoken`; `serveraddress` names the registry). A header that is not
 * base64 or not a JSON object is a 400. A header without a secret — the CLI sends `{}` when it
 * has none — and no header at all leave the server's own credentials (its docker config.json
 * and helpers) to apply, as they do for the `shale` CLI. The credential lives only in the
 * request's client: it is never logged, stored or echoed in a message.
 */
import type { IncomingMessage } from 'node:http';
import {
  dockerConfigCredentials,
  hasSecret,
  type Credential,
  type CredentialSource,
} from '../registry/index.ts';
import { HttpError } from './errors.ts';

/** Standard or URL-safe base64, padding optional (what Go's and the SDKs' encoders write). */
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

function field(config: Record<string, unknown>, name: string): string | undefined {
  const value = config[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** `username:password` from the config's `auth` field, when it is sound. */
function fromAuthField(auth: string | undefined): Credential | undefined {
  if (auth === undefined || !BASE64.test(auth)) return undefined;
  const text = Buffer.from(auth, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  return colon > 0
    ? { username: text.slice(0, colon), password: text.slice(colon + 1) }
    : undefined;
}

/** The credential an `X-Registry-Auth` value carries; undefined when it carries none. */
export function decodeRegistryAuth(header: string | undefined): Credential | undefined {
  const text = header?.trim() ?? '';
  if (text === '') return undefined;
  const invalid = new HttpError(400, 'X-Registry-Auth is not base64-encoded JSON');
  if (!BASE64.test(text)) throw invalid;
  let config: unknown;
  try {
    config = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw invalid;
  }
  if (typeof config !== 'object' || config === null || Array.isArray(config)) throw invalid;
  const record = config as Record<string, unknown>;
  const credential: Credential = {
    ...(fromAuthField(field(record, 'auth')) ?? {
      username: field(record, 'username'),
      password: field(record, 'password'),
    }),
    identityToken: field(record, 'identitytoken'),
    registryToken: field(record, 'registrytoken'),
  };
  return hasSecret(credential) ? credential : undefined;
}

/**
 * Where a request's registry client gets credentials: the header's for `host` (the registry the
 * request works with), else the server's own.
 */
export function requestCredentials(req: IncomingMessage, host: string): CredentialSource {
  const header = req.headers['x-registry-auth'];
  const given = decodeRegistryAuth(Array.isArray(header) ? header[0] : header);
  if (given === undefined) return dockerConfigCredentials();
  return { get: (asked) => Promise.resolve(asked === host ? given : undefined) };
}
