/**
 * Registry endpoints: which origin answers the API for a reference domain. `docker.io` is reached
 * at `registry-1.docker.io`; hosts the user lists as insecure, and loopback hosts with no TLS
 * configured for them (host-tls.ts), speak plain HTTP; every other host HTTPS.
 */
import { ShaleError } from '../../core/errors.ts';
import { hasHostTls } from './host-tls.ts';

/** How the transport reaches registries; every field is optional. */
export interface HostSettings {
  /** `host[:port]` names reached over plain HTTP even though they are not loopback. */
  readonly insecureHosts?: readonly string[];
  /** `host[:port]` → path of a PEM file with CA certificates to trust for that host too. */
  readonly caFiles?: Readonly<Record<string, string>>;
  /** Docker's per-registry TLS directory (`<dir>/<host[:port]>/`); default /etc/docker/certs.d. */
  readonly certsDir?: string;
}

/** Where the registry API of one reference domain lives. */
export interface RegistryEndpoint {
  /** The domain as references spell it (`docker.io`, `127.0.0.1:5000`). */
  readonly host: string;
  /** The origin that serves `/v2/` (`https://registry-1.docker.io`, `http://127.0.0.1:5000`). */
  readonly origin: string;
}

const DOCKER_HUB_DOMAINS = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);
const DOCKER_HUB_API_HOST = 'registry-1.docker.io';

/** True for the reference domains that mean Docker Hub. */
export function isDockerHub(host: string): boolean {
  return DOCKER_HUB_DOMAINS.has(host.toLowerCase());
}

/** The host name of `host[:port]` (brackets of an IPv6 literal removed), lower-cased. */
export function hostnameOf(host: string): string {
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return host.slice(1, end < 0 ? undefined : end).toLowerCase();
  }
  const colon = host.indexOf(':');
  return (colon < 0 ? host : host.slice(0, colon)).toLowerCase();
}

/** True for `localhost`, `127.0.0.0/8` and `::1` (with or without a port). */
export function isLoopbackHost(host: string): boolean {
  const name = hostnameOf(host);
  if (name === 'localhost' || name === '::1' || name === '0:0:0:0:0:0:0:1') return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}

/** The endpoint for a reference domain under the given settings. */
export function resolveEndpoint(host: string, settings: HostSettings = {}): RegistryEndpoint {
  if (host === '' || /[/\s@?#]/.test(host)) {
    throw new ShaleError('ERR_INVALID_ARGUMENT', `"${host}" is not a registry host[:port]`);
  }
  const apiHost = isDockerHub(host) ? DOCKER_HUB_API_HOST : host;
  const plain =
    (settings.insecureHosts ?? []).includes(host) ||
    (isLoopbackHost(apiHost) && !hasHostTls(apiHost, settings));
  return { host, origin: `${plain ? 'http' : 'https'}://${apiHost}` };
}
