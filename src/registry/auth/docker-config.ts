/**
 * Docker's client config file (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`):
 * reading the `auths`, `credsStore` and `credHelpers` sections, matching a registry host to its
 * entry (Docker Hub's key is `https://index.docker.io/v1/`), and rewriting the file atomically
 * (temp file + rename, mode 0600) while keeping every key shale does not know.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, realpath, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { ShaleError } from '../../core/errors.ts';
import { isDockerHub } from '../transport/endpoint.ts';
import type { Credential } from './credentials.ts';

/** The key under which Docker stores Docker Hub credentials. */
export const DOCKER_HUB_CONFIG_KEY = 'https://index.docker.io/v1/';

export interface DockerConfigLocation {
  /** The folder that holds `config.json`; default `$DOCKER_CONFIG`, else `~/.docker`. */
  readonly configDir?: string;
}

/** One entry of `auths` as stored. */
export interface AuthEntry {
  readonly auth?: string;
  readonly username?: string;
  readonly password?: string;
  readonly identitytoken?: string;
  readonly registrytoken?: string;
  readonly [key: string]: unknown;
}

/** The parsed file. `raw` is the whole document, unknown keys included. */
export interface DockerConfig {
  readonly file: string;
  readonly raw: Record<string, unknown>;
  readonly auths: Readonly<Record<string, AuthEntry>>;
  readonly credsStore?: string;
  readonly credHelpers: Readonly<Record<string, string>>;
}

/** Path of the config file for the given location. */
export function dockerConfigFile(location: DockerConfigLocation = {}): string {
  const dir = location.configDir ?? process.env.DOCKER_CONFIG ?? path.join(homedir(), '.docker');
  return path.join(dir, 'config.json');
}

/** The key a host's credentials are stored under (`https://index.docker.io/v1/` for Hub). */
export function configKey(host: string): string {
  return isDockerHub(host) ? DOCKER_HUB_CONFIG_KEY : host;
}

/** Docker's ConvertToHostname: scheme and path dropped (`https://h:5000/v1/` → `h:5000`). */
function keyHostname(key: string): string {
  return key.replace(/^https?:\/\//, '').split('/')[0]!;
}

/** Every `auths` key that names `host`: the exact key first, then keys with its host name. */
export function authKeysFor(auths: Readonly<Record<string, unknown>>, host: string): string[] {
  const wanted = configKey(host);
  const hostname = keyHostname(wanted);
  const keys = Object.keys(auths).filter((k) => k !== wanted && keyHostname(k) === hostname);
  return wanted in auths ? [wanted, ...keys] : keys;
}

/** The credential helper named for a host: `credHelpers[host]`, else `credsStore`. */
export function helperFor(config: DockerConfig, host: string): string | undefined {
  const helpers = config.credHelpers;
  return helpers[host] ?? helpers[configKey(host)] ?? config.credsStore;
}

/** Reads the config file; a missing file is an empty config. */
export async function readDockerConfig(location: DockerConfigLocation = {}): Promise<DockerConfig> {
  const file = dockerConfigFile(location);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return parsed(file, {});
    throw new ShaleError('ERR_INVALID_ARGUMENT', `cannot read ${file}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    // The parser's message quotes the text, which holds secrets: say only where the file is.
    throw new ShaleError('ERR_INVALID_ARGUMENT', `${file} is not valid JSON — fix or remove it`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ShaleError('ERR_INVALID_ARGUMENT', `${file} does not hold a JSON object`);
  }
  return parsed(file, raw as Record<string, unknown>);
}

function parsed(file: string, raw: Record<string, unknown>): DockerConfig {
  const record = (value: unknown) =>
    typeof value === 'object' && value !== null ? (value as Record<string, never>) : {};
  const credsStore =
    typeof raw.credsStore === 'string' && raw.credsStore !== '' ? raw.credsStore : undefined;
  return { file, raw, auths: record(raw.auths), credsStore, credHelpers: record(raw.credHelpers) };
}

/** The credential an `auths` entry holds (base64 `auth`, or username/password, or tokens). */
export function credentialFromEntry(entry: AuthEntry, file: string, key: string): Credential {
  let { username, password } = entry;
  if (typeof entry.auth === 'string' && entry.auth !== '') {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) {
      throw new ShaleError(
        'ERR_INVALID_ARGUMENT',
        `the "auth" field for ${key} in ${file} is not base64 of user:password — log in again`,
      );
    }
    username = decoded.slice(0, colon);
    password = decoded.slice(colon + 1);
  }
  const nonEmpty = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  return {
    username: nonEmpty(username),
    password: nonEmpty(password),
    identityToken: nonEmpty(entry.identitytoken),
    registryToken: nonEmpty(entry.registrytoken),
  };
}

/** The `auths` entry Docker writes for a credential. */
export function entryFromCredential(credential: Credential): AuthEntry {
  if (credential.identityToken !== undefined) {
    return {
      auth: encodeAuth(credential.username ?? '', ''),
      identitytoken: credential.identityToken,
    };
  }
  return { auth: encodeAuth(credential.username ?? '', credential.password ?? '') };
}

function encodeAuth(username: string, password: string): string {
  return Buffer.from(`${username}:${password}`, 'utf8').toString('base64');
}

/**
 * Writes `raw` as the config file: a private temp file beside it, fsync, rename. A symlinked
 * config.json is replaced at its target, as Docker does.
 */
export async function writeDockerConfig(file: string, raw: Record<string, unknown>): Promise<void> {
  const target = await realpath(file).catch(() => file);
  const dir = path.dirname(target);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const temp = path.join(dir, `.config.json.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(`${JSON.stringify(raw, null, '\t')}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
  } catch (err) {
    await rm(temp, { force: true });
    throw new ShaleError(
      'ERR_INVALID_ARGUMENT',
      `cannot write ${target}: ${(err as Error).message}`,
    );
  }
}
