// Crashes instead of errors: answers shorter than their Content-Length (a blob, a manifest) and
// answers that are not valid HTTP (an oversized WWW-Authenticate header) must end a pull with one
// `shale: …` line that says what happened — never `internal error` and a stack — after a bounded
// number of requests.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { assertCleanFailure, pull, withUnchangedStore } from '../helpers/hostile-pull.ts';
import {
  startHostileRegistry,
  smallImage,
  type HostileRegistry,
} from '../helpers/hostile-registry.ts';

let registry: HostileRegistry;

before(async () => {
  registry = await startHostileRegistry();
});

after(() => registry.stop());

/** Promise `bytes` (from the Range asked for), send half of it, then close the connection. */
function sendHalfThenClose(
  req: import('node:http').IncomingMessage,
  res: import('node:http').ServerResponse,
  bytes: Buffer,
): void {
  const start = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? '')?.[1] ?? 0);
  const rest = bytes.subarray(start);
  res.writeHead(start === 0 ? 200 : 206, {
    'content-length': rest.length,
    ...(start > 0 && { 'content-range': `bytes ${start}-${bytes.length - 1}/${bytes.length}` }),
  });
  res.write(rest.subarray(0, Math.ceil(rest.length / 2)), () => res.socket?.end());
}

test('a blob body shorter than its Content-Length, every time: resumed within the budget, then one line', async () => {
  const image = await smallImage(registry, 'shortblob');
  registry.misbehave((req, res, route) => {
    if (route.kind !== 'blob' || route.reference !== image.layerDigest) return false;
    sendHalfThenClose(req, res, route.bytes!);
    return true;
  });
  await withUnchangedStore(async (root) => {
    const from = registry.requests.length;
    const run = await pull(root, registry.host, 'shortblob');
    assertCleanFailure(
      run,
      /stopped answering: the connection closed before the whole answer arrived \(gave up after 5 attempts\)/,
    );
    const gets = registry.requests
      .slice(from)
      .filter((r) => r.method === 'GET' && r.path.endsWith(image.layerDigest));
    assert.equal(gets.length, 5);
    assert.equal(gets[0]!.range, undefined);
    assert.ok(
      gets.slice(1).every((g) => g.range !== undefined),
      'later attempts resume with Range',
    );
  });
});

test('a manifest body shorter than its Content-Length: bounded, then one line', async () => {
  await smallImage(registry, 'shortmanifest');
  registry.misbehave((req, res, route) => {
    if (route.kind !== 'manifest' || req.method !== 'GET' || route.bytes === undefined)
      return false;
    sendHalfThenClose(req, res, route.bytes);
    return true;
  });
  await withUnchangedStore(async (root) => {
    const from = registry.requests.length;
    const run = await pull(root, registry.host, 'shortmanifest');
    assertCleanFailure(run, /stopped answering: the connection closed before the whole answer/);
    const gets = registry.requests
      .slice(from)
      .filter((r) => r.kind === 'manifest' && r.method === 'GET');
    assert.ok(gets.length >= 1 && gets.length <= 5, `${gets.length} manifest GETs`);
    assert.equal(registry.requests.slice(from).filter((r) => r.kind === 'blob').length, 0);
  });
});

test('an oversized WWW-Authenticate header is a broken answer, not "cannot reach", and is not retried', async () => {
  await smallImage(registry, 'bigheader');
  registry.misbehave((req, res, route) => {
    if (route.kind !== 'base') return false;
    res.writeHead(401, {
      'www-authenticate': `Bearer realm="http://127.0.0.1:1/token",scope="${'a'.repeat(200_000)}"`,
    });
    res.end();
    return true;
  });
  await withUnchangedStore(async (root) => {
    const from = registry.requests.length;
    const run = await pull(root, registry.host, 'bigheader');
    assertCleanFailure(
      run,
      /registry http:\/\/127\.0\.0\.1:\d+ sent a broken answer: its answer carried oversized headers/,
    );
    assert.doesNotMatch(run.stderr, /cannot reach/);
    assert.equal(registry.requests.length - from, 1);
  });
});
