// The transport on its own: endpoints (Docker Hub's API host, plain HTTP for loopback and
// insecure hosts), Retry-After and backoff arithmetic, redirects that drop Authorization across
// origins and keep Range, and proxies from the environment that loopback never uses.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { isShaleError } from '../../src/core/errors.ts';
import { readBodyBytes } from '../../src/registry/transport/body.ts';
import { isLoopbackHost, resolveEndpoint } from '../../src/registry/transport/endpoint.ts';
import {
  DEFAULT_RETRY_POLICY,
  backoffDelay,
  isTransientStatus,
  retryAfterDelay,
} from '../../src/registry/transport/retry-policy.ts';
import { Transport } from '../../src/registry/transport/transport.ts';

test('endpoints: Docker Hub, loopback over HTTP, HTTPS elsewhere unless insecure', () => {
  assert.equal(resolveEndpoint('docker.io').origin, 'https://registry-1.docker.io');
  assert.equal(resolveEndpoint('index.docker.io').origin, 'https://registry-1.docker.io');
  assert.equal(resolveEndpoint('127.0.0.1:5000').origin, 'http://127.0.0.1:5000');
  assert.equal(resolveEndpoint('127.9.8.7').origin, 'http://127.9.8.7');
  assert.equal(resolveEndpoint('localhost:5000').origin, 'http://localhost:5000');
  assert.equal(resolveEndpoint('[::1]:5000').origin, 'http://[::1]:5000');
  assert.equal(resolveEndpoint('ghcr.io').origin, 'https://ghcr.io');
  assert.equal(resolveEndpoint('128.0.0.1:5000').origin, 'https://128.0.0.1:5000');
  assert.equal(
    resolveEndpoint('reg.lan:5000', { insecureHosts: ['reg.lan:5000'] }).origin,
    'http://reg.lan:5000',
  );
  assert.equal(
    resolveEndpoint('reg.lan:5001', { insecureHosts: ['reg.lan:5000'] }).host,
    'reg.lan:5001',
  );
  assert.ok(!isLoopbackHost('localhost.example.com'));
  assert.throws(
    () => resolveEndpoint('a/b'),
    (e) => isShaleError(e, 'ERR_INVALID_ARGUMENT'),
  );
});

test('Retry-After: seconds or an HTTP date, capped; garbage ignored', () => {
  const policy = { ...DEFAULT_RETRY_POLICY, maxRetryAfterMs: 10_000 };
  const now = Date.parse('2025-01-01T00:00:00Z');
  assert.equal(retryAfterDelay('3', policy, now), 3000);
  assert.equal(retryAfterDelay(' 0 ', policy, now), 0);
  assert.equal(retryAfterDelay('Wed, 01 Jan 2025 00:00:05 GMT', policy, now), 5000);
  assert.equal(retryAfterDelay('Tue, 31 Dec 2024 00:00:00 GMT', policy, now), 0);
  assert.equal(retryAfterDelay('86400', policy, now), 10_000);
  assert.equal(retryAfterDelay('soon', policy, now), undefined);
  assert.equal(retryAfterDelay('-1', policy, now), undefined);
  assert.equal(retryAfterDelay(undefined, policy, now), undefined);
});

test('backoff grows exponentially with jitter and a ceiling; transient statuses', () => {
  const policy = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 100, maxDelayMs: 1000 };
  for (let i = 0; i < 50; i++) {
    const first = backoffDelay(policy, 1);
    assert.ok(first >= 50 && first <= 100, String(first));
    const third = backoffDelay(policy, 3);
    assert.ok(third >= 200 && third <= 400, String(third));
    assert.ok(backoffDelay(policy, 20) <= 1000);
  }
  assert.deepEqual([429, 500, 501, 502, 503, 505, 404, 401].map(isTransientStatus), [
    true,
    true,
    false,
    true,
    true,
    false,
    false,
    false,
  ]);
});

interface Seen {
  url: string;
  headers: http.IncomingHttpHeaders;
}

/** A tiny server that records requests and answers with `handler`. */
async function server(
  handler: (req: http.IncomingMessage, res: http.ServerResponse) => void,
): Promise<{ port: number; seen: Seen[]; close: () => Promise<void> }> {
  const seen: Seen[] = [];
  const s = http.createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    handler(req, res);
  });
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  const close = () =>
    new Promise<void>((resolve) => {
      s.closeAllConnections();
      s.close(() => resolve());
    });
  return { port, seen, close };
}

let storage: Awaited<ReturnType<typeof server>>;
let registry: Awaited<ReturnType<typeof server>>;
const transport = new Transport({ retry: { baseDelayMs: 5 } });

before(async () => {
  storage = await server((req, res) => res.end(`blob bytes for ${req.headers.range ?? 'all'}`));
  registry = await server((req, res) => {
    const target =
      req.url === '/other-origin'
        ? `http://localhost:${storage.port}/blob?sig=1`
        : req.url === '/same-origin'
          ? '/final'
          : req.url === '/loop'
            ? '/loop'
            : undefined;
    if (target !== undefined) res.writeHead(307, { location: target }).end();
    else res.end('final');
  });
});
after(async () => {
  await transport.close();
  await storage?.close();
  await registry?.close();
});

test('a redirect to another origin drops Authorization and keeps Range', async () => {
  const response = await transport.send({
    method: 'GET',
    url: `http://127.0.0.1:${registry.port}/other-origin`,
    headers: { Authorization: 'Bearer very-secret', Range: 'bytes=5-9' },
  });
  assert.equal(response.status, 200);
  assert.equal(response.url.href, `http://localhost:${storage.port}/blob?sig=1`);
  assert.equal((await readBodyBytes(response.body, 100)).toString(), 'blob bytes for bytes=5-9');
  const atStorage = storage.seen.at(-1)!;
  assert.equal(atStorage.headers.authorization, undefined);
  assert.equal(atStorage.headers.range, 'bytes=5-9');
  assert.equal(registry.seen.at(-1)!.headers.authorization, 'Bearer very-secret');
});

test('a redirect within the origin keeps Authorization', async () => {
  const response = await transport.send({
    method: 'GET',
    url: `http://127.0.0.1:${registry.port}/same-origin`,
    headers: { authorization: 'Bearer t' },
  });
  await response.discard();
  assert.equal(registry.seen.at(-1)!.url, '/final');
  assert.equal(registry.seen.at(-1)!.headers.authorization, 'Bearer t');
});

test('more than five redirects fail with ERR_REGISTRY', async () => {
  const before = registry.seen.length;
  await assert.rejects(
    transport.send({ method: 'GET', url: `http://127.0.0.1:${registry.port}/loop` }),
    (e) => isShaleError(e, 'ERR_REGISTRY') && /redirected more than 5 times/.test(e.message),
  );
  assert.equal(registry.seen.length - before, 6);
});

test('non-loopback hosts go through HTTP_PROXY; loopback never does', async () => {
  const proxy = await server((_req, res) => res.end('via proxy'));
  const saved = { ...process.env };
  Object.assign(process.env, { HTTP_PROXY: `http://127.0.0.1:${proxy.port}`, NO_PROXY: '' });
  const proxied = new Transport();
  try {
    const far = await proxied.send({ method: 'GET', url: 'http://registry.invalid/v2/' });
    assert.equal((await readBodyBytes(far.body, 100)).toString(), 'via proxy');
    assert.equal(proxy.seen.at(-1)!.url, 'http://registry.invalid/v2/');
    const near = await proxied.send({ method: 'GET', url: `http://127.0.0.1:${registry.port}/x` });
    assert.equal((await readBodyBytes(near.body, 100)).toString(), 'final');
    assert.equal(proxy.seen.length, 1);
  } finally {
    process.env = saved;
    await proxied.close();
    await proxy.close();
  }
});

test('an unreachable host is ERR_NETWORK naming only the origin', async () => {
  const closed = await server(() => {});
  await closed.close();
  const err = await transport
    .send({ method: 'GET', url: `http://127.0.0.1:${closed.port}/v2/x?_state=secret-state` })
    .catch((e: unknown) => e);
  assert.ok(isShaleError(err, 'ERR_NETWORK'));
  assert.match(
    err.message,
    /^cannot reach http:\/\/127\.0\.0\.1:\d+: connection refused \(gave up after 5 attempts\)/,
  );
  assert.ok(!err.message.includes('secret-state'));
});

test('an unreadable CA file for a host is ERR_INVALID_ARGUMENT naming the file', async () => {
  const withCa = new Transport({ caFiles: { 'reg.invalid': '/nonexistent/ca.pem' } });
  await assert.rejects(
    withCa.send({ method: 'GET', url: 'https://reg.invalid/v2/' }),
    (e) =>
      isShaleError(e, 'ERR_INVALID_ARGUMENT') &&
      e.message.startsWith(
        'cannot read the CA file /nonexistent/ca.pem configured for reg.invalid',
      ),
  );
  await withCa.close();
});
