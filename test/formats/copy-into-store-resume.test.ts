// `shale copy docker://… store:REF` downloads as pull does: a copy killed (SIGKILL) while a large
// blob comes through a throttling loopback proxy leaves its bytes in the store's partial, and the
// next copy asks the registry only for the rest (counted at the proxy), verifies the whole blob
// and makes the image, which fsck then finds whole; two copies at once fetch a blob once.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildBigFixture } from '../helpers/big-fixture.ts';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.ts';
import { publish } from '../helpers/publish.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { runShaleAsync, SHALE_BIN } from '../helpers/shale.ts';

const MiB = 1 << 20;

let registry: TestRegistry;
let proxy: FaultProxy;
let work: string;
let blob: { digest: string; size: number };
let config: string;

before(async () => {
  work = fs.mkdtempSync(path.join(tmpdir(), 'shale-copy-resume-'));
  const fixture = await buildBigFixture(path.join(work, 'image'));
  const layer = fixture.layers[0]!;
  blob = { digest: layer.blobDigest!, size: layer.blobBytes! };
  config = fixture.oci!.config;
  registry = await startRegistry();
  await publish(path.join(fixture.dir, 'oci'), 'big', `${registry.host}/big/src:v1`, 'oci');
  proxy = await startFaultProxy(registry.host);
});

after(async () => {
  await proxy?.stop();
  await registry?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

/** Body bytes of the big blob the proxy served so far. */
const served = () => proxy.bytesServed.get(`/v2/big/src/blobs/${blob.digest}`) ?? 0;

test('a copy into the store killed mid-download continues from the bytes it kept', async () => {
  const root = path.join(work, 'store');
  const args = [
    '--root',
    root,
    'copy',
    '-q',
    `docker://${proxy.host}/big/src:v1`,
    'store:local/big:v1',
  ];
  proxy.addRule({
    method: 'GET',
    path: new RegExp(`/blobs/${blob.digest}$`),
    times: 1,
    fault: { kind: 'throttle', bytesPerSecond: 16 * MiB },
  });
  const child = spawn(process.execPath, [SHALE_BIN, ...args], { stdio: 'ignore' });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  for (let i = 0; served() < 24 * MiB; i++) {
    assert.ok(i < 600, 'the copy never got far enough into the blob');
    await sleep(50);
  }
  child.kill('SIGKILL');
  await exited;
  await sleep(300);
  const first = served();
  assert.ok(first < blob.size, `the first copy got ${first} of ${blob.size} bytes`);

  const again = await runShaleAsync(args);
  assert.equal(again.status, 0, again.stderr);
  const second = served() - first;
  assert.ok(
    second > 0 && second <= blob.size - 16 * MiB,
    `the second copy fetched ${second} of ${blob.size} bytes`,
  );
  const id = await runShaleAsync([
    '--root',
    root,
    'inspect',
    '--format',
    '{{.Id}}',
    'local/big:v1',
  ]);
  assert.equal(id.stdout.trim(), config);
  const fsck = await runShaleAsync(['--root', root, 'fsck']);
  assert.equal(fsck.status, 0, fsck.stdout + fsck.stderr);
});

test('two copies into one store at once fetch the blob once', async () => {
  const root = path.join(work, 'store-two');
  const before = served();
  const copy = (name: string) =>
    runShaleAsync([
      '--root',
      root,
      'copy',
      '-q',
      `docker://${proxy.host}/big/src:v1`,
      `store:${name}`,
    ]);
  const runs = await Promise.all([copy('local/one:v1'), copy('local/two:v1')]);
  for (const run of runs) assert.equal(run.status, 0, run.stderr);
  const fetched = served() - before;
  assert.ok(fetched <= blob.size, `the blob was fetched ${fetched / blob.size} times`);
});
