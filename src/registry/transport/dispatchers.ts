/**
 * Connection pools: one undici dispatcher per kind of destination. Loopback origins get a direct
 * agent (never proxied); other origins go through an agent that honours HTTPS_PROXY, HTTP_PROXY
 * and NO_PROXY (either case), with the host's own CA bundle when one is configured. Like Go's
 * client, plain-HTTP requests go to the proxy in absolute form; HTTPS ones tunnel with CONNECT.
 */
import { readFileSync } from 'node:fs';
import { Agent, EnvHttpProxyAgent, type Dispatcher } from 'undici';
import { ShaleError } from '../../core/errors.ts';
import { isLoopbackHost, type HostSettings } from './endpoint.ts';

export class Dispatchers {
  readonly #settings: HostSettings;
  readonly #pools = new Map<string, Dispatcher>();

  constructor(settings: HostSettings = {}) {
    this.#settings = settings;
  }

  /** The dispatcher for requests to `url`. */
  for(url: URL): Dispatcher {
    if (isLoopbackHost(url.host)) return this.#pool('loopback', () => new Agent());
    const caFile = this.#settings.caFiles?.[url.host];
    if (caFile === undefined) {
      return this.#pool('proxied', () => new EnvHttpProxyAgent({ proxyTunnel: false }));
    }
    return this.#pool(`ca:${url.host}`, () => {
      const ca = readCaFile(caFile, url.host);
      return new EnvHttpProxyAgent({ proxyTunnel: false, connect: { ca }, requestTls: { ca } });
    });
  }

  /** Closes every pool (idle sockets included). */
  async close(): Promise<void> {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map((p) => p.close()));
  }

  #pool(key: string, create: () => Dispatcher): Dispatcher {
    let pool = this.#pools.get(key);
    if (pool === undefined) {
      pool = create();
      this.#pools.set(key, pool);
    }
    return pool;
  }
}

function readCaFile(file: string, host: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new ShaleError(
      'ERR_INVALID_ARGUMENT',
      `cannot read the CA file ${file} configured for ${host}: ${(err as Error).message}`,
      { cause: err },
    );
  }
}
