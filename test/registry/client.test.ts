// RegistryClient against a real Distribution registry without auth: uploads and reads back blobs,
// turns error bodies into RegistryErrors, and (through the fault proxy) survives connection
// resets, 500s and 429 + Retry-After on GETs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { isShaleError } from '../../src/core/errors.ts';
import { RegistryClient } from '../../src/registry/client.ts';
import { isRegistryError, RegistryError } from '../../src/registry/errors.ts';
import { anonymousCredentials } from '../../src/registry/auth/credentials.ts';
import { readBodyBytes } from '../../src/registry/transport/body.ts';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.ts';
import { startRegistry, uploadBlob, type TestRegistry } from '../helpers/registry.ts';

let registry: TestRegistry;
let proxy: FaultProxy;
const client = new RegistryClient({
  credentials: anonymousCredentials,
  retry: { baseDelayMs: 20 },
});
const blob = randomBytes(300_000);
let digest: string;

before(async () => {
  registry = await startRegistry();
  proxy = await startFaultProxy(registry.host);
  digest = await uploadBlob(client, registry.host, 'test/plain', blob);
});
after(async () => {
  await client.close();
  await proxy?.stop();
  await registry?.stop();
});

const getBlob = (host: string, extra: { headers?: Record<string, string> } = {}) =>
  client.request({
    ...{ host, repository: 'test/plain', method: 'GET', path: `blobs/${digest}` },
    ...{ actions: ['pull'], ...extra },
  });

test('an uploaded blob comes back streamed, whole and by Range', async () => {
  const whole = await getBlob(registry.host);
  assert.equal(whole.status, 200);
  assert.equal(whole.header('docker-content-digest'), digest);
  assert.deepEqual(await readBodyBytes(whole.body, 1 << 20), blob);
  const part = await getBlob(registry.host, { headers: { range: 'bytes=10-19' } });
  assert.equal(part.status, 206);
  assert.deepEqual(await readBodyBytes(part.body, 100), blob.subarray(10, 20));
});

test('a missing manifest is a RegistryError with registryCode MANIFEST_UNKNOWN', async () => {
  const err = await client
    .request({
      ...{ host: registry.host, repository: 'test/plain', method: 'GET' },
      ...{ path: 'manifests/nope', actions: ['pull'] },
    })
    .catch((e: unknown) => e);
  assert.ok(err instanceof RegistryError);
  assert.equal(err.code, 'ERR_REGISTRY');
  assert.equal(err.status, 404);
  assert.equal(err.registryCode, 'MANIFEST_UNKNOWN');
  assert.match(err.message, /^registry 127\.0\.0\.1:\d+: MANIFEST_UNKNOWN manifest unknown/);
  assert.match(err.message, /GET \/v2\/test\/plain\/manifests\/nope, HTTP 404/);
});

test('a missing blob is BLOB_UNKNOWN; acceptStatus hands a 404 back instead', async () => {
  const missing = `sha256:${'0'.repeat(64)}`;
  const request = {
    ...{ host: registry.host, repository: 'test/plain', method: 'GET' },
    ...{ path: `blobs/${missing}`, actions: ['pull'] as const },
  };
  await assert.rejects(client.request(request), (e) => isRegistryError(e, 'BLOB_UNKNOWN'));
  const head = await client.request({ ...request, method: 'HEAD', acceptStatus: [404] });
  assert.equal(head.status, 404);
  await head.discard();
});

test('a bad digest in PUT is DIGEST_INVALID', async () => {
  const started = await client.request({
    ...{ host: registry.host, repository: 'test/plain', method: 'POST' },
    ...{ path: 'blobs/uploads/', actions: ['pull', 'push'] },
  });
  await started.discard();
  const url = new URL(started.header('location')!);
  url.searchParams.set('digest', `sha256:${'1'.repeat(64)}`);
  const err = await client
    .request({
      ...{ host: registry.host, repository: 'test/plain', method: 'PUT', url: url.href },
      ...{ actions: ['pull', 'push'], body: Buffer.from('x') },
      headers: { 'content-type': 'application/octet-stream' },
    })
    .catch((e: unknown) => e);
  assert.ok(isRegistryError(err, 'DIGEST_INVALID'), String(err));
  assert.equal(err.status, 400);
});

const MANIFEST_TYPE = 'application/vnd.oci.image.manifest.v1+json';

async function putManifest(tag: string): Promise<Buffer> {
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MANIFEST_TYPE,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest, size: blob.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest, size: blob.length }],
      annotations: { padding: 'x'.repeat(2000) },
    }),
  );
  const put = await client.request({
    ...{ host: registry.host, repository: 'test/plain', method: 'PUT' },
    ...{ path: `manifests/${tag}`, actions: ['pull', 'push'], body: manifest },
    headers: { 'content-type': MANIFEST_TYPE },
  });
  await put.discard();
  assert.equal(put.status, 201);
  return manifest;
}

const manifestRequest = (host: string, tag: string) => ({
  ...{ host, repository: 'test/plain', method: 'GET', path: `manifests/${tag}` },
  ...{ actions: ['pull'] as const, headers: { accept: MANIFEST_TYPE } },
});

test('fetchBytes reads a small document whole', async () => {
  const manifest = await putManifest('small');
  const { response, bytes } = await client.fetchBytes(manifestRequest(registry.host, 'small'));
  assert.equal(response.status, 200);
  assert.equal(response.header('content-type'), MANIFEST_TYPE);
  assert.deepEqual(bytes, manifest);
  await assert.rejects(client.fetchBytes(manifestRequest(registry.host, 'small'), 100), (e) =>
    isShaleError(e, 'ERR_LIMIT'),
  );
});

test('a GET survives connection resets, 500s and 429 with Retry-After', async () => {
  const path = /^\/v2\/test\/plain\/blobs\//;
  proxy.addRule({ path, times: 2, fault: { kind: 'reset', afterBytes: 0 } });
  proxy.addRule({ path, times: 1, fault: { kind: 'status', status: 500 } });
  proxy.addRule({ path, times: 1, fault: { kind: 'status', status: 429, retryAfter: '1' } });
  const before = proxy.requestCount.get(`/v2/test/plain/blobs/${digest}`) ?? 0;
  const started = Date.now();
  const response = await getBlob(proxy.host);
  assert.equal(response.status, 200);
  assert.deepEqual(await readBodyBytes(response.body, 1 << 20), blob);
  assert.ok(Date.now() - started >= 900, 'Retry-After: 1 was honoured');
  const after = proxy.requestCount.get(`/v2/test/plain/blobs/${digest}`) ?? 0;
  assert.equal(after - before, 5); // 2 resets + 500 + 429 + the good one: all 5 attempts
});

test('fetchBytes sends the request again when the body is cut off', async () => {
  const manifest = await putManifest('cut');
  proxy.addRule({
    ...{ path: /^\/v2\/test\/plain\/manifests\/cut$/, times: 2 },
    fault: { kind: 'reset', afterBytes: 100 },
  });
  const { bytes } = await client.fetchBytes(manifestRequest(proxy.host, 'cut'));
  assert.deepEqual(bytes, manifest);
  assert.equal(proxy.bytesServed.get('/v2/test/plain/manifests/cut'), 200 + manifest.length);
});

test('exhausted retries: 5xx becomes ERR_REGISTRY, resets become ERR_NETWORK', async () => {
  const path = /^\/v2\/test\/plain\/blobs\//;
  proxy.addRule({ path, times: 5, fault: { kind: 'status', status: 503 } });
  const unavailable = await getBlob(proxy.host).catch((e: unknown) => e);
  assert.ok(unavailable instanceof RegistryError);
  assert.equal(unavailable.status, 503);
  assert.match(unavailable.message, /try again later/);
  proxy.addRule({ path, times: 5, fault: { kind: 'reset', afterBytes: 0 } });
  const reset = await getBlob(proxy.host).catch((e: unknown) => e);
  assert.ok(isShaleError(reset, 'ERR_NETWORK'), String(reset));
  assert.match(reset.message, /cannot reach http:\/\/127\.0\.0\.1:\d+: .*gave up after 5 attempts/);
});

test('a POST is not repeated after a 500 unless marked retryable', async () => {
  const path = /^\/v2\/test\/plain\/blobs\/uploads\/$/;
  const request = {
    ...{ host: proxy.host, repository: 'test/plain', method: 'POST' },
    ...{ path: 'blobs/uploads/', actions: ['pull', 'push'] as const },
  };
  proxy.addRule({ path, method: 'POST', times: 1, fault: { kind: 'status', status: 500 } });
  await assert.rejects(client.request(request), (e) => isRegistryError(e) && e.status === 500);
  proxy.addRule({ path, method: 'POST', times: 1, fault: { kind: 'status', status: 500 } });
  const started = await client.request({ ...request, retryable: true });
  assert.equal(started.status, 202);
  await started.discard();
});

test('an aborted request rejects with the abort reason', async () => {
  proxy.addRule({
    ...{ path: /^\/v2\/test\/plain\/blobs\//, times: 1 },
    fault: { kind: 'status', status: 429, retryAfter: '30' },
  });
  const controller = new AbortController();
  setTimeout(() => controller.abort(new Error('stop now')), 200);
  await assert.rejects(
    client.request({
      ...{ host: proxy.host, repository: 'test/plain', method: 'GET' },
      ...{ path: `blobs/${digest}`, actions: ['pull'], signal: controller.signal },
    }),
    /stop now/,
  );
});
