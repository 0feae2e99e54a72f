// Unbounded download loops: a registry that ignores Range, or answers it with a Content-Range that
// is not what was asked, must not make `pull` restart and append forever. Every case drives the
// CLI against the scripted loopback registry and counts the blob requests it received.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  assertCleanFailure,
  ingestBytes,
  pull,
  storeState,
  storeWithAnImage,
  withUnchangedStore,
} from '../helpers/hostile-pull.ts';
import {
  startHostileRegistry,
  smallImage,
  type HostileRegistry,
} from '../helpers/hostile-registry.ts';

let registry: HostileRegistry;

before(async () => {
  registry = await startHostileRegistry();
  await smallImage(registry, 'v1');
});

after(() => registry.stop());

function blobGets(digest: string): number {
  return registry.requests.filter((r) => r.method === 'GET' && r.path.endsWith(digest)).length;
}

test('an honest registry: one GET per blob, and the image is pulled (bounds cost nothing)', async () => {
  registry.misbehave(undefined);
  const { root, cleanup } = await storeWithAnImage();
  try {
    const first = registry.requests.length;
    const run = await pull(root, registry.host, 'v1');
    assert.equal(run.status, 0, run.stderr);
    const blobRequests = registry.requests.slice(first).filter((r) => r.kind === 'blob');
    assert.equal(blobRequests.length, 2, JSON.stringify(blobRequests));
    const { images } = await storeState(root);
    assert.match(images, /hostile\/app/);
  } finally {
    cleanup();
  }
});

test('200 to a Range request with a whole blob shorter than the manifest states: refused at once', async () => {
  const hostile = await smallImage(registry, 'shortwhole', {
    edit: (m) => void ((m.layers[0]!.size as number) += 100_000),
  });
  registry.misbehave((req, res, route) => {
    if (route.kind !== 'blob' || route.reference !== hostile.layerDigest) return false;
    res.writeHead(200, { 'content-length': route.bytes!.length }).end(route.bytes);
    return true;
  });
  await withUnchangedStore(async (root) => {
    const gets = blobGets(hostile.layerDigest);
    const run = await pull(root, registry.host, 'shortwhole');
    assertCleanFailure(run, /sends blob sha256:\w+ as \d+ bytes, but the manifest says \d+/);
    assert.equal(blobGets(hostile.layerDigest) - gets, 1);
    assert.ok(ingestBytes(root) <= hostile.layer.length);
  });
});

test('Range ignored, whole answers streamed without a length and short: bounded, then refused', async () => {
  const hostile = await smallImage(registry, 'chunked', {
    edit: (m) => void ((m.layers[0]!.size as number) += 50_000),
  });
  registry.misbehave((req, res, route) => {
    if (route.kind !== 'blob' || route.reference !== hostile.layerDigest) return false;
    res.writeHead(200, { 'transfer-encoding': 'chunked' }); // no Content-Length
    res.end(route.bytes);
    return true;
  });
  await withUnchangedStore(async (root) => {
    const gets = blobGets(hostile.layerDigest);
    const run = await pull(root, registry.host, 'chunked');
    assertCleanFailure(run, /ignores Range requests for blob sha256:\w+/);
    const made = blobGets(hostile.layerDigest) - gets;
    assert.ok(made >= 2 && made <= 5, `${made} GETs of the blob`);
    assert.ok(
      ingestBytes(root) <= hostile.layer.length,
      `the partial grew to ${ingestBytes(root)} bytes`,
    );
  });
});

test('206 with a Content-Range other than the one asked for is an error', async () => {
  const hostile = await smallImage(registry, 'badrange');
  const half = Math.floor(hostile.layer.length / 2);
  registry.misbehave((req, res, route) => {
    if (route.kind !== 'blob' || route.reference !== hostile.layerDigest) return false;
    const bytes = route.bytes!;
    if (req.headers.range === undefined) {
      // Half the blob, then the connection drops: the client resumes with Range.
      res.writeHead(200, { 'content-length': bytes.length });
      res.write(bytes.subarray(0, half), () => res.socket?.destroy());
      return true;
    }
    res.writeHead(206, {
      'content-length': bytes.length,
      'content-range': `bytes 0-${bytes.length - 1}/${bytes.length}`,
    });
    res.end(bytes);
    return true;
  });
  await withUnchangedStore(async (root) => {
    const gets = blobGets(hostile.layerDigest);
    const run = await pull(root, registry.host, 'badrange');
    assertCleanFailure(run, /answered 206 with Content-Range "bytes 0-\d+\/\d+".* refusing it/);
    assert.equal(blobGets(hostile.layerDigest) - gets, 2);
  });
});

test('200 to a Range request with the right whole blob: the partial restarts once and the pull succeeds', async () => {
  const hostile = await smallImage(registry, 'restart');
  const half = Math.floor(hostile.layer.length / 2);
  registry.misbehave((req, res, route) => {
    if (route.kind !== 'blob' || route.reference !== hostile.layerDigest) return false;
    const bytes = route.bytes!;
    res.writeHead(200, { 'content-length': bytes.length });
    if (req.headers.range === undefined) {
      res.write(bytes.subarray(0, half), () => res.socket?.destroy());
    } else {
      res.end(bytes); // Range ignored
    }
    return true;
  });
  const { root, cleanup } = await storeWithAnImage();
  try {
    const gets = blobGets(hostile.layerDigest);
    const run = await pull(root, registry.host, 'restart');
    assert.equal(run.status, 0, run.stderr);
    assert.equal(blobGets(hostile.layerDigest) - gets, 2);
    assert.equal(ingestBytes(root), 0);
  } finally {
    cleanup();
  }
});
