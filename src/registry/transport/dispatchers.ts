/**
 * Connection pools and the requests sent through them: one undici dispatcher per kind of
 * destination. Loopback origins get a direct agent (never proxied); other origins go through an
 * agent that honours HTTPS_PROXY, HTTP_PROXY and NO_PROXY (either case); a host with TLS of its own
 * (CAs, client certificates: host-tls.ts) gets a pool of its own. Like Go's client, plain-HTTP requests go to the proxy in absolute
 * form; HTTPS ones tunnel with CONNECT.
 *
 * The agents and `request` come from their own modules, not the package index: the index also
 * builds fetch, WebSocket, caches and cookies, which would cost every CLI call ~100 ms of start-up.
 */
import type { Dispatcher } from 'undici';
import sendRequest from 'undici/lib/api/api-request.js';
import Agent from 'undici/lib/dispatcher/agent.js';
import EnvHttpProxyAgent from 'undici/lib/dispatcher/env-http-proxy-agent.js';
import { isLoopbackHost, type HostSettings } from './endpoint.ts';
import { hasHostTls, hostTls } from './host-tls.ts';

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
    const loopback = isLoopbackHost(url.host);
    if (url.protocol === 'https:' && hasHostTls(url.host, this.#settings)) {
      return this.#pool(`tls:${url.host}`, () => {
        const tls = hostTls(url.host, this.#settings)!;
        const connect = { ...tls, ...(tls.ca.length === 0 && { ca: undefined }) };
        return loopback
          ? new Agent({ connect })
          : new EnvHttpProxyAgent({ proxyTunnel: false, connect, requestTls: connect });
      });
    }
    if (loopback) return this.#pool('loopback', () => new Agent());
    return this.#pool('proxied', () => new EnvHttpProxyAgent({ proxyTunnel: false }));
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
