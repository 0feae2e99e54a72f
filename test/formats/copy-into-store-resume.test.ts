// `shale copy docker://… store:REF` downloads as pull does: a copy killed (SIGKILL) while a large
// blob comes through a throttling loopback proxy leaves its bytes in the store's partial, and the
// next copy asks the registry only for the rest (counted at the proxy), verifies the whole blob
// and makes the image, which fsck then finds whole; a partial already whole is committed without
// a request, one a registry will not continue (Range ignored) is fetched whole once; two copies
// at once fetch a blob once.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildBigFixture } from '../helpers/big-fixture.ts';
import { startFaultProxy, type Fault, type FaultProxy } from '../helpers/fault-proxy.ts';
import { publish } from '../helpers/publish.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { runShaleAsync, SHALE_BIN } from '../helpers/shale.ts';

const MiB = 1 << 20;

let registry: TestRegistry;
let proxy: FaultProxy;
let work: string;
let blob: { digest: string; size: number };
/** The blob's file in the fixture's layout. */
let blobFile: string;
let config: string;

before(async () => {
  work = fs.mkdtempSync(path.join(tmpdir(), 'shale-copy-resume-'));
  const fixture = await buildBigFixture(path.join(work, 'image'));
  const layer = fixture.layers[0]!;
  blob = { digest: layer.blobDigest!, size: layer.blobBytes! };
  blobFile = path.join(fixture.dir, layer.blob!);
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

/** The arguments that copy the big image through the proxy into the store at `root`. */
const copyArgs = (root: string, name = 'local/big:v1') => [
  '--root',
  root,
  'copy',
  '-q',
  `docker://${proxy.host}/big/src:v1`,
  `store:${name}`,
];

async function assertFsckClean(root: string): Promise<void> {
  const fsck = await runShaleAsync(['--root', root, 'fsck']);
  assert.equal(fsck.status, 0, fsck.stdout + fsck.stderr);
}

/** The proxy's next GET of the big blob meets `fault`. */
function faultNextGet(fault: Fault): void {
  proxy.addRule({ method: 'GET', path: new RegExp(`/blobs/${blob.digest}$`), times: 1, fault });
}

test('a copy into the store killed mid-download continues from the bytes it kept', async () => {
  const root = path.join(work, 'store');
  const args = copyArgs(root);
  faultNextGet({ kind: 'throttle', bytesPerSecond: 16 * MiB });
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
  await assertFsckClean(root);
});

/** A store holding the first `bytes` of the blob as a partial, as a killed copy or pull leaves it. */
async function storeWithPartial(name: string, bytes: number): Promise<string> {
  const root = path.join(work, name);
  assert.equal((await runShaleAsync(['--root', root, 'images'])).status, 0);
  const ingest = path.join(root, 'shale', 'ingest');
  fs.mkdirSync(ingest, { recursive: true });
  const partial = path.join(ingest, `partial-sha256-${blob.digest.slice(7)}`);
  fs.writeFileSync(partial, fs.readFileSync(blobFile).subarray(0, bytes));
  return root;
}

test('a partial already whole is committed without a request; one the registry will not continue is fetched whole', async () => {
  const copy = (root: string) => runShaleAsync(copyArgs(root));
  const whole = await storeWithPartial('store-whole', blob.size);
  let before = served();
  const first = await copy(whole);
  assert.equal(first.status, 0, first.stderr);
  assert.equal(served() - before, 0, 'no byte of the blob was fetched');

  const half = await storeWithPartial('store-half', blob.size >> 1);
  faultNextGet({ kind: 'ignore-range' });
  before = served();
  const second = await copy(half);
  assert.equal(second.status, 0, second.stderr);
  // The answer to the range (the whole blob) is let go at once; then the whole blob, once.
  const fetched = served() - before;
  assert.ok(fetched >= blob.size && fetched < 1.5 * blob.size, `fetched ${fetched} bytes`);
  await assertFsckClean(half);
});

test('two copies into one store at once fetch the blob once', async () => {
  const root = path.join(work, 'store-two');
  const before = served();
  // Slowed, so that the two copies overlap however busy the machine is.
  faultNextGet({ kind: 'throttle', bytesPerSecond: 64 * MiB });
  const copy = (name: string) => runShaleAsync(copyArgs(root, name));
  const runs = await Promise.all([copy('local/one:v1'), copy('local/two:v1')]);
  for (const run of runs) assert.equal(run.status, 0, run.stderr);
  const fetched = served() - before;
  assert.ok(fetched <= blob.size, `the blob was fetched ${fetched / blob.size} times`);
});
