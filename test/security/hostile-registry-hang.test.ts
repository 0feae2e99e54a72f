// Hangs: a registry that sends headers and then stops the body, trickles it, or never answers at
// all must cost a pull the configured idle timeout per attempt (SHALE_READ_TIMEOUT) and at most
// the per-blob bound (SHALE_BLOB_TIMEOUT) in all, not the HTTP library's minutes per attempt.
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

/** Requests for `digest` (GET) since `from`. */
function getsOf(digest: string, from: number): number {
  return registry.requests.slice(from).filter((r) => r.method === 'GET' && r.path.endsWith(digest))
    .length;
}

test('headers, half the body, then silence: each attempt ends after the idle timeout', async () => {
  const image = await smallImage(registry, 'stall');
  registry.misbehave((req, res, route) => {
    if (route.kind !== 'blob' || route.reference !== image.layerDigest) return false;
    const bytes = route.bytes!;
    const start = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? '')?.[1] ?? 0);
    res.writeHead(start === 0 ? 200 : 206, {
      'content-length': bytes.length - start,
      ...(start > 0 && { 'content-range': `bytes ${start}-${bytes.length - 1}/${bytes.length}` }),
    });
    res.write(bytes.subarray(start, start + 1000)); // and then nothing, connection kept open
    return true;
  });
  await withUnchangedStore(async (root) => {
    const from = registry.requests.length;
    const run = await pull(root, registry.host, 'stall', {
      SHALE_READ_TIMEOUT: '0.5',
      SHALE_BLOB_TIMEOUT: '60',
    });
    assertCleanFailure(
      run,
      /stalled \(no data within the read timeout\) \(gave up after 5 attempts\)/,
    );
    assert.equal(getsOf(image.layerDigest, from), 5);
    assert.ok(run.ms < 30_000, `the pull took ${run.ms} ms`);
  });
});

test('a body trickled faster than the idle timeout is cut by the per-blob bound', async () => {
  const image = await smallImage(registry, 'trickle');
  const timers = new Set<NodeJS.Timeout>();
  registry.misbehave((req, res, route) => {
    if (route.kind !== 'blob' || route.reference !== image.layerDigest) return false;
    const bytes = route.bytes!;
    res.writeHead(200, { 'content-length': bytes.length });
    let at = 0;
    const timer = setInterval(() => {
      if (res.destroyed || at >= bytes.length) return clearInterval(timer);
      res.write(bytes.subarray(at, (at += 10)));
    }, 100);
    timers.add(timer);
    return true;
  });
  try {
    await withUnchangedStore(async (root) => {
      const from = registry.requests.length;
      const run = await pull(root, registry.host, 'trickle', {
        SHALE_READ_TIMEOUT: '1',
        SHALE_BLOB_TIMEOUT: '3',
      });
      assertCleanFailure(run, /did not finish sending within 3 s — /);
      assert.equal(getsOf(image.layerDigest, from), 1);
      assert.ok(run.ms < 30_000, `the pull took ${run.ms} ms`);
    });
  } finally {
    for (const timer of timers) clearInterval(timer);
  }
});

test('a manifest request that never gets headers: bounded attempts of the idle timeout', async () => {
  await smallImage(registry, 'silent');
  registry.misbehave(
    (req, res, route) => route.kind === 'manifest' && route.reference === 'silent',
  );
  await withUnchangedStore(async (root) => {
    const from = registry.requests.length;
    const run = await pull(root, registry.host, 'silent', {
      SHALE_READ_TIMEOUT: '0.5',
      SHALE_BLOB_TIMEOUT: '60',
    });
    assertCleanFailure(
      run,
      /registry http:\/\/127\.0\.0\.1:\d+ stopped answering: no answer arrived within the read timeout/,
    );
    const made = registry.requests.slice(from).filter((r) => r.kind === 'manifest').length;
    assert.ok(made >= 1 && made <= 5, `${made} manifest requests`);
    assert.ok(run.ms < 30_000, `the pull took ${run.ms} ms`);
  });
});
