/**
 * The TLS a registry host is reached with, as Docker reads it (registry.ReadCertsDirectory): the
 * directory `<certsDir>/<host[:port]>/` (default /etc/docker/certs.d) holds CA certificates as
 * `*.crt`, added to the system's, and client certificates as `*.cert`, each with the `*.key` of
 * the same name (mutual TLS). A CA file the caller names for the host is added too.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { rootCertificates } from 'node:tls';
import { ShaleError } from '../../core/errors.ts';
import type { HostSettings } from './endpoint.ts';

export const DEFAULT_CERTS_DIR = '/etc/docker/certs.d';

/** What node:tls takes to connect: trusted CAs, and the client certificates with their keys. */
export interface HostTls {
  ca: string[];
  cert: string[];
  key: string[];
}

function certsDirOf(host: string, settings: HostSettings): string {
  return path.join(settings.certsDir ?? DEFAULT_CERTS_DIR, host.replace(/[/\\]/g, '_'));
}

/** Whether anything configures TLS for `host` (then even a loopback host is reached by HTTPS). */
export function hasHostTls(host: string, settings: HostSettings): boolean {
  return settings.caFiles?.[host] !== undefined || existsSync(certsDirOf(host, settings));
}

type PemKind = 'CA file' | 'client certificate' | 'client key';

function readPem(file: string, host: string, kind: PemKind): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new ShaleError(
      'ERR_INVALID_ARGUMENT',
      `cannot read the ${kind} ${file} configured for ${host}: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

function readCertsDirectory(dir: string, host: string): HostTls {
  const tls: HostTls = { ca: [], cert: [], key: [] };
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return tls;
    throw new ShaleError('ERR_INVALID_ARGUMENT', `cannot read ${dir}: ${(err as Error).message}`);
  }
  const has = new Set(names);
  for (const name of names) {
    const file = path.join(dir, name);
    if (name.endsWith('.crt')) tls.ca.push(readPem(file, host, 'CA file'));
    if (name.endsWith('.cert')) {
      const key = `${name.slice(0, -'.cert'.length)}.key`;
      if (!has.has(key)) {
        throw new ShaleError(
          'ERR_INVALID_ARGUMENT',
          `missing key ${key} for client certificate ${name} in ${dir} (CA certificates use the extension .crt)`,
        );
      }
      tls.cert.push(readPem(file, host, 'client certificate'));
      tls.key.push(readPem(path.join(dir, key), host, 'client key'));
    }
    if (name.endsWith('.key') && !has.has(`${name.slice(0, -'.key'.length)}.cert`)) {
      throw new ShaleError(
        'ERR_INVALID_ARGUMENT',
        `missing client certificate ${name.slice(0, -'.key'.length)}.cert for key ${name} in ${dir}`,
      );
    }
  }
  return tls;
}

/** The TLS options for `host`, or undefined when nothing configures any. */
export function hostTls(host: string, settings: HostSettings): HostTls | undefined {
  if (!hasHostTls(host, settings)) return undefined;
  const tls = readCertsDirectory(certsDirOf(host, settings), host);
  const caFile = settings.caFiles?.[host];
  if (caFile !== undefined) tls.ca.push(readPem(caFile, host, 'CA file'));
  if (tls.ca.length > 0) tls.ca.unshift(...rootCertificates);
  return tls;
}
