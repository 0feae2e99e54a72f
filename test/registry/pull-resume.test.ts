// A pull killed with SIGKILL in the middle of a blob resumes from its partial download: the next
// pull completes, and the bytes the registry serves the second time for that blob (counted at a
// loopback proxy) are well below the blob's size.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureFixture } from '../../support/fixtures/image.ts';
import { DEFAULTS } from '../../support/fixtures/presets.ts';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.ts';
import { publish } from '../helpers/publish.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { runShaleAsync, SHALE_BIN } from '../helpers/shale.ts';

let registry: TestRegistry;
let proxy: FaultProxy;
let work: string;
let blob: { digest: string; size: number };

before(async () => {
  work = fs.mkdtempSync(path.join(tmpdir(), 'shale-resume-'));
  // One layer of incompressible content, so the blob is as big as the files (24 MiB).
  const fixture = await ensureFixture({
    dir: path.join(work, 'image'),
    name: 'big',
    params: { ...DEFAULTS, layers: 1, files: 8, bytes: 24 << 20, randomFraction: 1 },
    log: () => undefined,
  });
  registry = await startRegistry();
  await publish(path.join(fixture.dir, 'oci'), 'big', `${registry.host}/peers/big:v1`, 'oci');
  const layer = fixture.layers[0]!;
  blob = { digest: layer.blobDigest!, size: layer.blobBytes! };
  proxy = await startFaultProxy(registry.host);
});

after(async () => {
  await proxy?.stop();
  await registry?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

function partialSize(root: string): number {
  const ingest = path.join(root, 'shale', 'ingest');
  const name = `partial-${blob.digest.replace(':', '-')}`;
  try {
    return fs.statSync(path.join(ingest, name)).size;
  } catch {
    return 0;
  }
}

test('a pull killed mid-blob resumes with Range and fetches only the rest', async () => {
  assert.ok(blob.size > 20 << 20, `the layer blob should be large, it is ${blob.size} bytes`);
  const root = path.join(work, 'store');
  const ref = `${proxy.host}/peers/big:v1`;
  const blobPath = `/v2/peers/big/blobs/${blob.digest}`;
  proxy.addRule({
    method: 'GET',
    path: /\/blobs\/sha256:/,
    times: 1,
    fault: { kind: 'throttle', bytesPerSecond: 4 << 20 },
  });
  const child = spawn(process.execPath, [SHALE_BIN, '--root', root, 'pull', '-q', ref], {
    stdio: 'ignore',
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  for (let i = 0; partialSize(root) < blob.size / 4; i++) {
    assert.ok(i < 300, 'the download never got a quarter of the way');
    await sleep(50);
  }
  child.kill('SIGKILL');
  await exited;
  await sleep(300); // let the proxy notice the closed connection
  const kept = partialSize(root);
  const firstServed = proxy.bytesServed.get(blobPath) ?? 0;
  assert.ok(kept > 0 && kept < blob.size, `partial of ${kept} bytes after the kill`);

  const again = await runShaleAsync(['--root', root, 'pull', '-q', ref]);
  assert.equal(again.status, 0, again.stderr);
  const secondServed = (proxy.bytesServed.get(blobPath) ?? 0) - firstServed;
  assert.ok(
    secondServed <= blob.size - kept,
    `second pull fetched ${secondServed} bytes; ${blob.size - kept} were missing`,
  );
  assert.ok(secondServed < blob.size * 0.8, `second pull fetched ${secondServed} of ${blob.size}`);
  assert.equal(partialSize(root), 0, 'the partial became the blob');
  const unpack = await runShaleAsync(['--root', root, 'unpack', ref, path.join(work, 'out')]);
  assert.equal(unpack.status, 0, unpack.stderr);
});

test('two processes pulling the same image into one store download its blob once', async () => {
  const root = path.join(work, 'shared-store');
  const ref = `${proxy.host}/peers/big:v1`;
  const blobPath = `/v2/peers/big/blobs/${blob.digest}`;
  const before = proxy.bytesServed.get(blobPath) ?? 0;
  // Slow enough that the second process starts while the first holds the partial.
  proxy.addRule({
    method: 'GET',
    path: /\/blobs\/sha256:/,
    times: 2,
    fault: { kind: 'throttle', bytesPerSecond: 16 << 20 },
  });
  const pulls = [0, 1].map(() => runShaleAsync(['--root', root, 'pull', '-q', ref]));
  const [first, second] = await Promise.all(pulls);
  assert.equal(first!.status, 0, first!.stderr);
  assert.equal(second!.status, 0, second!.stderr);
  assert.equal(first!.stdout, second!.stdout);
  const served = (proxy.bytesServed.get(blobPath) ?? 0) - before;
  assert.equal(served, blob.size, `the blob was served ${served / blob.size} times`);
});
