/**
 * The Engine API server: one `node:http` server per listen address, all dispatching through the
 * router to routes over one store. Requests run concurrently; each gets an AbortSignal that fires
 * when its client disconnects or the server stops. A request carrying an `Origin` header comes from
 * a web page and is refused (403) on every listener. `close` stops accepting, ends the streams
 * that only wait for news (`/events`), gives running requests `graceMs` to end, aborts the rest
 * (an aborted pull keeps its partial downloads), and removes the sockets. With `tls`, every TCP
 * listener is HTTPS requiring a client certificate (tls.ts); unix sockets stay plain HTTP.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Store } from '../store/index.ts';
import { HttpError, sendFailure } from './errors.ts';
import { listenOn, parseHost } from './listen.ts';
import { createMutualTlsServer, type MutualTls } from './tls.ts';
import { ApiRequest } from './request.ts';
import { splitVersion, type Router } from './router.ts';
import { apiRouter } from './routes/index.ts';

export interface ServeOptions {
  /** `unix:///PATH` or `tcp://HOST:PORT` (loopback only without `tls`), one or more. */
  hosts: readonly string[];
  /** Mutual TLS for every TCP listener (`loadMutualTls`). */
  tls?: MutualTls;
  /** How long `close` lets running requests finish before aborting them (default 10 s). */
  graceMs?: number;
  /** Told of each request that failed with a 5xx (the client got the message too). */
  onError?: (err: unknown) => void;
}

export interface ApiServer {
  /** Stop: no new requests, running ones end or are aborted, sockets removed. */
  close(): Promise<void>;
}

async function dispatch(
  router: Router,
  store: Store,
  req: IncomingMessage,
  res: ServerResponse,
  signal: AbortSignal,
  stopping: AbortSignal,
): Promise<void> {
  if (req.headers.origin !== undefined)
    throw new HttpError(403, 'requests from web pages (with an Origin header) are refused');
  const url = new URL(req.url ?? '/', 'http://shale');
  const { path, version } = splitVersion(url.pathname);
  const { handler, params } = router.match(req.method ?? 'GET', path);
  const query = url.searchParams;
  await handler(new ApiRequest(req, res, store, params, query, version, signal, stopping));
}

/** Serve the Engine API's image endpoints over `store` on every host of `options`. */
export async function serveApi(store: Store, options: ServeOptions): Promise<ApiServer> {
  const router = apiRouter();
  const running = new Set<AbortController>();
  const stopping = new AbortController();
  const closers: (() => Promise<void>)[] = [];
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const abort = new AbortController();
    running.add(abort);
    res.once('close', () => {
      if (!res.writableFinished) abort.abort(new Error('the client went away'));
      running.delete(abort);
    });
    dispatch(router, store, req, res, abort.signal, stopping.signal).catch((err: unknown) => {
      sendFailure(res, err);
      if (!(err instanceof HttpError) && res.statusCode >= 500) options.onError?.(err);
    });
  };
  const { tls } = options;
  const addresses = options.hosts.map((host) => parseHost(host, tls !== undefined));
  try {
    for (const address of addresses) {
      const secured = address.kind === 'tcp' && tls !== undefined;
      const server = secured ? createMutualTlsServer(tls, handle) : createServer(handle);
      closers.push(await listenOn(server, address));
    }
  } catch (err) {
    for (const close of closers) await close();
    throw err;
  }
  return {
    async close() {
      const closed = Promise.all(closers.map((close) => close()));
      stopping.abort(new Error('the server is stopping'));
      const grace = setTimeout(() => {
        for (const abort of running) abort.abort(new Error('the server is stopping'));
      }, options.graceMs ?? 10_000);
      await closed;
      clearTimeout(grace);
    },
  };
}
