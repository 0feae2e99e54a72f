// The ranges of a blob a resumable chunked upload reads from a registry source: a closed Range
// GET answered with exactly those bytes; a registry that ignores Range (200, the whole blob)
// serves the first chunk, and past it is refused with the way out (one request per blob); a 206
// for other bytes, or an answer that ends early, is an error that names the registry, never
// bytes from elsewhere in the blob.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { asDigest } from '../../src/core/digest.ts';
import { parseDockerRef } from '../../src/core/reference.ts';
import { RegistryClient, RegistrySource } from '../../src/registry/index.ts';
import { startHostileRegistry, type HostileRegistry } from '../helpers/hostile-registry.ts';

let registry: HostileRegistry;
let client: RegistryClient;
const bytes = randomBytes(256 << 10);
let source: RegistrySource;
let descriptor: { mediaType: string; digest: ReturnType<typeof asDigest>; size: number };

before(async () => {
  registry = await startHostileRegistry();
  descriptor = {
    mediaType: 'application/octet-stream',
    digest: asDigest(registry.addBlob(bytes)),
    size: bytes.length,
  };
  client = new RegistryClient();
  source = new RegistrySource(client, parseDockerRef(`${registry.host}/team/app:v1`));
});

after(async () => {
  await client?.close();
  await registry?.stop();
});

async function read(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

test('a range is asked for as a closed Range and answered with exactly its bytes', async () => {
  registry.misbehave(undefined);
  const got = await read(source.openBlobRange(descriptor, 1000, 70_000));
  assert.ok(got.equals(bytes.subarray(1000, 70_000)));
  assert.equal(registry.requests.at(-1)!.range, 'bytes=1000-69999');
  const last = await read(source.openBlobRange(descriptor, 200_000, bytes.length));
  assert.ok(last.equals(bytes.subarray(200_000)));
});

test('a registry that ignores Range serves the first chunk; past it, the error says how to copy', async () => {
  registry.misbehave((_req, res, route) => {
    if (route.kind !== 'blob') return false;
    res.writeHead(200, { 'content-length': bytes.length }).end(bytes);
    return true;
  });
  const first = await read(source.openBlobRange(descriptor, 0, 9000));
  assert.ok(first.equals(bytes.subarray(0, 9000)));
  // Each later chunk would read the blob from its start again: refused, not done quadratically.
  await assert.rejects(read(source.openBlobRange(descriptor, 9000, 18_000)), (err: Error) => {
    assert.match(err.message, /ignores Range requests for blob .*copy with --chunk-size 0/);
    return true;
  });
  registry.misbehave(undefined);
});

test('a 206 for other bytes, or an answer that ends early, is refused', async () => {
  registry.misbehave((_req, res, route) => {
    if (route.kind !== 'blob') return false;
    res
      .writeHead(206, { 'content-range': `bytes 0-3999/${bytes.length}`, 'content-length': 4000 })
      .end(bytes.subarray(0, 4000));
    return true;
  });
  await assert.rejects(read(source.openBlobRange(descriptor, 5000, 9000)), (err: Error) => {
    assert.match(
      err.message,
      /answered 206 with Content-Range "bytes 0-3999\/\d+".*bytes 5000-8999 .*refusing it/,
    );
    return true;
  });
  // The whole blob asked for, a part answered: refused alike, the answer let go unread.
  await assert.rejects(source.openBlob(descriptor), /answered 206 .*bytes 0-\d+ of blob/);

  registry.misbehave((_req, res, route) => {
    if (route.kind !== 'blob') return false;
    res
      .writeHead(206, { 'content-range': `bytes 5000-8999/${bytes.length}` })
      .end(bytes.subarray(5000, 6000));
    return true;
  });
  await assert.rejects(read(source.openBlobRange(descriptor, 5000, 9000)), (err: Error) => {
    assert.match(err.message, /ended its answer before byte 9000/);
    return true;
  });
  registry.misbehave(undefined);
});

test('a range its reader gives up on before the answer comes is let go, with no stray error', async () => {
  registry.misbehave(undefined);
  for (let i = 0; i < 20; i++) source.openBlobRange(descriptor, 0, 100_000).destroy();
  await new Promise((resolve) => setTimeout(resolve, 200));
  const got = await read(source.openBlobRange(descriptor, 10, 20));
  assert.ok(got.equals(bytes.subarray(10, 20)));
});
