// A loopback reverse proxy for fault injection in front of a registry: rules make the first K
// matching requests fail (connection reset after N body bytes, or a given status such as 500, or
// 429 with Retry-After), crawl (answer or request body throttled), hang (held, never forwarded)
// or corrupt (the first body byte changed), or ignore a Range header,
// and the proxy counts the body bytes it served and received per path so a test can prove how
// much a resumed download fetched or a resumed upload sent. The Host header is passed through, so Location
// headers the registry builds point back at the proxy.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Fault =
  | { kind: 'reset'; afterBytes: number }
  | { kind: 'status'; status: number; retryAfter?: string }
  // Forward the answer at most this fast (a slow link, to interrupt a transfer mid-way).
  | { kind: 'throttle'; bytesPerSecond: number }
  // Forward the request body at most this fast (a slow uplink, to interrupt an upload mid-way).
  | { kind: 'throttle-upload'; bytesPerSecond: number }
  // Never forward the request nor answer it (until the client goes away).
  | { kind: 'hold' }
  // Forward the answer with its first body byte changed (content that fails its digest).
  | { kind: 'corrupt' }
  // Forward the request without its Range header (a server that ignores Range: the whole blob).
  | { kind: 'ignore-range' };

export interface FaultRule {
  method?: string;
  /** Matched against the request path (query included). */
  path: RegExp;
  /** How many matching requests fail; later ones pass. */
  times: number;
  fault: Fault;
}

export interface FaultProxy {
  /** `127.0.0.1:PORT`: use as the registry host. */
  host: string;
  addRule(rule: FaultRule): void;
  /** Body bytes sent to clients per path (no query), faulty answers included. */
  bytesServed: Map<string, number>;
  /** Request body bytes received from clients per path (no query). */
  bytesReceived: Map<string, number>;
  /** Requests seen per path (no query). */
  requestCount: Map<string, number>;
  /** Requests held so far by `hold` rules. */
  readonly held: number;
  stop(): Promise<void>;
}

function withoutRange(headers: http.IncomingHttpHeaders): http.IncomingHttpHeaders {
  const { range, ...rest } = headers;
  void range;
  return rest;
}

export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const [upstreamHost, upstreamPort] = upstream.split(':') as [string, string];
  const rules: FaultRule[] = [];
  const bytesServed = new Map<string, number>();
  const bytesReceived = new Map<string, number>();
  const requestCount = new Map<string, number>();
  let held = 0;
  const add = (map: Map<string, number>, key: string, n: number) =>
    map.set(key, (map.get(key) ?? 0) + n);

  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    const pathOnly = url.split('?')[0]!;
    add(requestCount, pathOnly, 1);
    const rule = rules.find(
      (r) => r.times > 0 && r.path.test(url) && (r.method ?? req.method) === req.method,
    );
    if (rule !== undefined) rule.times--;
    const fault = rule?.fault;
    if (fault?.kind === 'status') {
      const body = JSON.stringify({ errors: [{ code: 'UNKNOWN', message: 'injected fault' }] });
      const headers: http.OutgoingHttpHeaders = { 'content-type': 'application/json' };
      if (fault.retryAfter !== undefined) headers['retry-after'] = fault.retryAfter;
      res.writeHead(fault.status, headers).end(body);
      req.resume();
      return;
    }
    if (fault?.kind === 'hold') {
      held++;
      req.pause();
      return;
    }
    if (fault?.kind === 'reset' && fault.afterBytes === 0) {
      req.socket.resetAndDestroy();
      return;
    }
    const forward = http.request(
      {
        host: upstreamHost,
        port: Number(upstreamPort),
        method: req.method,
        path: url,
        headers: fault?.kind === 'ignore-range' ? withoutRange(req.headers) : req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        res.on('close', () => answer.destroy()); // the client went away: stop sending (and counting)
        let budget = fault?.kind === 'reset' ? fault.afterBytes : Infinity;
        let corrupt = fault?.kind === 'corrupt';
        answer.on('data', (data: Buffer) => {
          if (budget <= 0) return;
          const chunk = corrupt && data.length > 0 ? Buffer.from(data) : data;
          if (chunk !== data) chunk[0] = chunk[0]! ^ 0xff;
          if (chunk.length > 0) corrupt = false;
          const part = chunk.subarray(0, Math.min(chunk.length, budget));
          budget -= part.length;
          add(bytesServed, pathOnly, part.length);
          if (budget > 0) {
            res.write(part);
            if (fault?.kind === 'throttle') {
              answer.pause();
              setTimeout(() => answer.resume(), (part.length / fault.bytesPerSecond) * 1000);
            }
            return;
          }
          answer.destroy();
          res.write(part, () => res.socket?.resetAndDestroy());
        });
        answer.on('end', () => budget > 0 && res.end());
      },
    );
    forward.on('error', () => res.socket?.destroy());
    req.on('close', () => req.complete || forward.destroy()); // the client went away mid-body
    req.on('data', (chunk: Buffer) => {
      add(bytesReceived, pathOnly, chunk.length);
      const drained = forward.write(chunk);
      if (fault?.kind === 'throttle-upload') {
        req.pause();
        setTimeout(() => req.resume(), (chunk.length / fault.bytesPerSecond) * 1000);
      } else if (!drained) {
        req.pause();
        forward.once('drain', () => req.resume());
      }
    });
    req.on('end', () => forward.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    addRule: (rule) => rules.push({ ...rule }),
    bytesServed,
    bytesReceived,
    requestCount,
    get held() {
      return held;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
