/**
 * Connection pools and the requests sent through them: one undici dispatcher per kind of
 * destination. Loopback origins get a direct agent (never proxied); other origins go through an
 * agent that honours HTTPS_PROXY, HTTP_PROXY and NO_PROXY (either case), with the host's own CA
 * bundle when one is configured. Like Go's client, plain-HTTP requests go to the proxy in absolute
 * form; HTTPS ones tunnel with CONNECT.
 *
 * The agents and `request` come from their own modules, not the package index: the index also
 * builds fetch, WebSocket, caches and cookies, which would cost every CLI call ~100 ms of start-up.
 */
import { readFileSync } from 'node:fs';
import type { Dispatcher } from 'undici';
import sendRequest from 'undici/lib/api/api-request.js';
import Agent from 'undici/lib/dispatcher/agent.js';
import EnvHttpProxyAgent from 'undici/lib/dispatcher/env-http-proxy-agent.js';
import { ShaleError } from '../../core/errors.ts';
import { isLoopbackHost, type HostSettings } from './endpoint.ts';

export type RequestOptions = Omit<Dispatcher.RequestOptions, 'origin' | 'path'>;

export class Dispatchers {
  readonly #settings: HostSettings;
  readonly #pools = new Map<string, Dispatcher>();

  constructor(settings: HostSettings = {}) {
    this.#settings = settings;
  }

  /** Sends one request to `url` (no redirects followed); the body of the answer is streamed. */
  request(url: URL, options: RequestOptions): Promise<Dispatcher.ResponseData> {
    const path = `${url.pathname}${url.search}`;
    return sendRequest.call(this.#for(url), { ...options, origin: url.origin, path });
  }

  #for(url: URL): Dispatcher {
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
