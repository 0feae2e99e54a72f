// Resumable chunked pushes against the real Distribution registry, through a loopback proxy that
// throttles, holds and counts upload bytes: a push killed with SIGKILL between chunks continues
// from the bytes the registry confirmed (the second run sends well under the blob's size); a
// registry that forgot the session (its `_uploads` removed, or a chunk cut mid-body, after which
// Distribution cancels the session) gets a fresh upload that succeeds; and a hostile registry
// (a wrong Range, no Location, failures without end) ends the push with a bounded `shale:` error.
// A copy out of the store (`copy store:REF docker://…`), from another registry, a layout or a plain
// image archive resumes the same way (its sessions kept in the store); a compressed archive, whose
// ranges cost a pass over what precedes them, sends its blobs in one request each.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import type http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { buildBigFixture } from '../helpers/big-fixture.ts';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.ts';
import { startHostileRegistry, type HostileRegistry } from '../helpers/hostile-registry.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { runShaleAsync, SHALE_BIN } from '../helpers/shale.ts';

const CHUNK = 8 << 20;
/** The config blob goes up beside the layer; it is smaller than this. */
const CONFIG_MAX = 64 << 10;
const SOURCE = 'local/big:big';

let registry: TestRegistry;
let proxy: FaultProxy;
let work: string;
let root: string;
let blob: { digest: string; size: number };
/** The same layer uncompressed, as a docker-archive presents it: its DiffID and tar size. */
let layerTar: { digest: string; size: number };
/** The fixture's OCI layout, the image under the name `big`. */
let layoutDir: string;

before(async () => {
  work = fs.mkdtempSync(path.join(tmpdir(), 'shale-push-resume-'));
  const fixture = await buildBigFixture(path.join(work, 'image'));
  const layer = fixture.layers[0]!;
  blob = { digest: layer.blobDigest!, size: layer.blobBytes! };
  layerTar = { digest: layer.diffId, size: layer.tarBytes };
  layoutDir = path.join(fixture.dir, 'oci');
  root = path.join(work, 'store');
  const load = await runShaleAsync([
    '--root',
    root,
    'load',
    '-q',
    '-i',
    path.join(fixture.dir, 'oci'),
    '--name',
    'local/big',
  ]);
  assert.equal(load.status, 0, load.stderr);
  registry = await startRegistry();
  proxy = await startFaultProxy(registry.host);
});

after(async () => {
  await proxy?.stop();
  await registry?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

/** Upload body bytes the proxy received for `repository` so far. */
function uploaded(repository: string): number {
  let sum = 0;
  for (const [p, n] of proxy.bytesReceived)
    if (p.startsWith(`/v2/${repository}/blobs/uploads/`)) sum += n;
  return sum;
}

function sessionRecords(): string[] {
  try {
    return fs.readdirSync(path.join(root, 'shale', 'uploads'));
  } catch {
    return [];
  }
}

function push(dest: string, extra: string[] = []) {
  return runShaleAsync([...sendArgs(dest).slice(0, -2), ...extra, SOURCE, dest]);
}

/**
 * How the image goes: pushed from the store, or copied from the store, a registry (`docker://…`)
 * or a layout (`oci:…`).
 */
type Send = 'push' | 'copy' | { copyFrom: string };

/** The arguments that send SOURCE (or the copy's source) to `dest` in 8 MiB chunks. */
function sendArgs(dest: string, send: Send = 'push'): string[] {
  const verb = send === 'push' ? 'push' : 'copy';
  const ends =
    send === 'push'
      ? [SOURCE, dest]
      : [send === 'copy' ? `store:${SOURCE}` : send.copyFrom, `docker://${dest}`];
  return ['--root', root, verb, '-q', '--chunk-size', '8MiB', ...ends];
}

/** The blobs sent to `repository` went up in one request each (no chunks). */
function assertEachBlobInOneRequest(repository: string): void {
  const sessions = [...proxy.requestCount].filter(([p]) =>
    p.startsWith(`/v2/${repository}/blobs/uploads/`),
  );
  // The POST path, then one session per blob (layer and config), each sent one request.
  assert.deepEqual(
    sessions.map(([, n]) => n),
    [2, 1, 1],
  );
}

/** Start a push (or copy) in a child, wait until `ready()` says so, then SIGKILL it. */
async function killPush(dest: string, ready: () => boolean, send: Send = 'push'): Promise<void> {
  const child = spawn(process.execPath, [SHALE_BIN, ...sendArgs(dest, send)], {
    stdio: 'ignore',
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  for (let i = 0; !ready(); i++) {
    assert.ok(i < 1200, 'the push never got where the test kills it');
    await sleep(50);
  }
  child.kill('SIGKILL');
  await exited;
  await sleep(300); // let the proxy and the registry see the connections close
}

/** The layer digests the registry serves for `ref`, read by skopeo. */
async function layersOf(ref: string): Promise<string[]> {
  const { stdout } = await promisify(execFile)('skopeo', [
    'inspect',
    '--tls-verify=false',
    `docker://${ref}`,
  ]);
  return (JSON.parse(stdout) as { Layers: string[] }).Layers;
}

/** Kill a push (or copy) while its fourth chunk is held at the proxy (three confirmed, 24 MiB). */
async function killBetweenChunks(repository: string, send: Send = 'push'): Promise<void> {
  proxy.addRule({
    method: 'PATCH',
    path: new RegExp(`^/v2/${repository}/blobs/uploads/`),
    times: 3,
    fault: { kind: 'throttle-upload', bytesPerSecond: 32 << 20 },
  });
  proxy.addRule({
    method: 'PATCH',
    path: new RegExp(`^/v2/${repository}/blobs/uploads/`),
    times: 1,
    fault: { kind: 'hold' },
  });
  const heldBefore = proxy.held;
  await killPush(`${proxy.host}/${repository}:v1`, () => proxy.held > heldBefore, send);
  assert.equal(sessionRecords().length, 1, 'the killed push left its session record');
}

/** Pushing again succeeds by sending the whole blob anew (beyond the `before` bytes sent so far), and forgets the session. */
async function pushesWholeBlobAgain(repository: string, before: number): Promise<void> {
  const again = await push(`${proxy.host}/${repository}:v1`);
  assert.equal(again.status, 0, again.stderr);
  const second = uploaded(repository) - before;
  assert.ok(second >= blob.size && second < blob.size + CONFIG_MAX, `second run sent ${second}`);
  assert.deepEqual(sessionRecords(), []);
  assert.ok((await layersOf(`${registry.host}/${repository}:v1`)).includes(blob.digest));
}

test('a push killed mid-upload continues from the bytes the registry confirmed', async () => {
  assert.ok(blob.size > 60 << 20, `the layer blob should be large, it is ${blob.size} bytes`);
  const repository = 'peers/resume';
  await killBetweenChunks(repository);
  const first = uploaded(repository);
  assert.ok(first >= 3 * CHUNK && first < blob.size, `first run sent ${first} bytes`);

  const again = await push(`${proxy.host}/${repository}:v1`);
  assert.equal(again.status, 0, again.stderr);
  const second = uploaded(repository) - first;
  assert.ok(
    second <= blob.size - 3 * CHUNK + CONFIG_MAX,
    `second run sent ${second} of ${blob.size} bytes`,
  );
  assert.ok(second > 0, 'the second run sent the rest');
  assert.deepEqual(sessionRecords(), [], 'the record goes once the blob is committed');
  assert.ok((await layersOf(`${registry.host}/${repository}:v1`)).includes(blob.digest));
});

/**
 * Kill a send of the image to `repository` between chunks, send again: the rest goes, resumed.
 * `layer` is the big layer as the source presents it (a docker-archive: uncompressed).
 */
async function resumesAfterKill(repository: string, send: Send, layer = blob): Promise<void> {
  await killBetweenChunks(repository, send);
  const first = uploaded(repository);
  assert.ok(first >= 3 * CHUNK && first < layer.size, `first run sent ${first} bytes`);

  const again = await runShaleAsync(sendArgs(`${proxy.host}/${repository}:v1`, send));
  assert.equal(again.status, 0, again.stderr);
  const second = uploaded(repository) - first;
  assert.ok(
    second > 0 && second <= layer.size - 3 * CHUNK + CONFIG_MAX,
    `second run sent ${second} of ${layer.size} bytes`,
  );
  assert.deepEqual(sessionRecords(), []);
  assert.ok((await layersOf(`${registry.host}/${repository}:v1`)).includes(layer.digest));
}

test('a copy out of the store killed mid-upload continues as a push does (push is the same transfer)', async () => {
  await resumesAfterKill('peers/copy-resume', 'copy');
});

test('a copy from another registry, or from a layout, killed mid-upload continues too', async () => {
  const source = `${registry.host}/peers/source:v1`;
  const pushed = await push(source, ['--chunk-size', '0']);
  assert.equal(pushed.status, 0, pushed.stderr);
  await resumesAfterKill('peers/from-registry', { copyFrom: `docker://${source}` });
  await resumesAfterKill('peers/from-layout', { copyFrom: `oci:${layoutDir}:big` });

  // No store to keep sessions in (its root lies under a file): the copy still goes, unresumable.
  const notADirectory = path.join(work, 'a-file');
  fs.writeFileSync(notADirectory, '');
  const dest = `docker://${proxy.host}/peers/no-store:v1`;
  const args = ['--root', path.join(notADirectory, 'store'), 'copy', '-q', '--chunk-size', '8MiB'];
  const copied = await runShaleAsync([...args, `docker://${source}`, dest]);
  assert.equal(copied.status, 0, copied.stderr);
  assert.match(
    copied.stderr,
    /^shale: warning: uploads are not resumable in this run: the store that keeps their sessions cannot be opened \(/m,
  );
  assert.ok((await layersOf(`${registry.host}/peers/no-store:v1`)).includes(blob.digest));
});

test('a copy from a plain oci-archive or docker-archive killed mid-upload continues; a compressed one sends whole blobs', async () => {
  const ociArchive = path.join(work, 'big.oci.tar');
  await promisify(execFile)('tar', ['-cf', ociArchive, '-C', layoutDir, '.']);
  await resumesAfterKill('peers/from-oci-archive', { copyFrom: `oci-archive:${ociArchive}:big` });

  // `shale save` writes each layer as its uncompressed tar: the copy presents it so (its DiffID).
  const dockerArchive = path.join(work, 'big.docker.tar');
  const saved = await runShaleAsync(['--root', root, 'save', '-o', dockerArchive, SOURCE]);
  assert.equal(saved.status, 0, saved.stderr);
  await resumesAfterKill(
    'peers/from-docker-archive',
    { copyFrom: `docker-archive:${dockerArchive}` },
    layerTar,
  );

  // Compressed, the archive's blobs go up in one request each, with no session to resume.
  await promisify(execFile)('gzip', ['-1', ociArchive]);
  const repository = 'peers/from-gzip-archive';
  const copied = await runShaleAsync(
    sendArgs(`${proxy.host}/${repository}:v1`, { copyFrom: `oci-archive:${ociArchive}.gz:big` }),
  );
  assert.equal(copied.status, 0, copied.stderr);
  assertEachBlobInOneRequest(repository);
  assert.deepEqual(sessionRecords(), []);
  assert.ok((await layersOf(`${registry.host}/${repository}:v1`)).includes(blob.digest));
});

test('a registry that forgot the session gets a fresh upload', async () => {
  const repository = 'peers/forget';
  await killBetweenChunks(repository);
  const uploads = path.join(
    registry.storageDir,
    'docker/registry/v2/repositories',
    repository,
    '_uploads',
  );
  assert.ok(fs.existsSync(uploads), `the registry keeps its sessions in ${uploads}`);
  fs.rmSync(uploads, { recursive: true });
  const first = uploaded(repository);

  await pushesWholeBlobAgain(repository, first);
});

test('a chunk cut mid-body (Distribution then cancels the session) starts over', async () => {
  const repository = 'peers/cut';
  proxy.addRule({
    method: 'PATCH',
    path: new RegExp(`^/v2/${repository}/blobs/uploads/`),
    times: 2,
    fault: { kind: 'throttle-upload', bytesPerSecond: 16 << 20 },
  });
  await killPush(`${proxy.host}/${repository}:v1`, () => uploaded(repository) > 1.5 * CHUNK);
  const first = uploaded(repository);
  assert.equal(sessionRecords().length, 1);

  await pushesWholeBlobAgain(repository, first);
});

test('monolithic below the chunk size: one PUT per session, no record', async () => {
  const repository = 'peers/whole';
  const pushed = await push(`${proxy.host}/${repository}:v1`, ['--chunk-size', '128MiB']);
  assert.equal(pushed.status, 0, pushed.stderr);
  assertEachBlobInOneRequest(repository);
  assert.ok(uploaded(repository) >= blob.size && uploaded(repository) < blob.size + CONFIG_MAX);
  assert.deepEqual(sessionRecords(), []);
  assert.ok((await layersOf(`${registry.host}/${repository}:v1`)).includes(blob.digest));
});

test('--chunk-size refuses what is not a size', async () => {
  for (const bad of ['lots', '512k', '-1']) {
    const r = await push(`${proxy.host}/peers/bad:v1`, ['--chunk-size', bad]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /^shale: --chunk-size must be/m);
  }
});

// A registry that answers uploads its own way; everything else as an honest empty registry.
let hostile: HostileRegistry;

async function hostilePush(
  answer: (req: http.IncomingMessage, res: http.ServerResponse) => void,
): Promise<{ status: number | null; stderr: string; patches: number }> {
  hostile ??= await startHostileRegistry();
  fs.rmSync(path.join(root, 'shale', 'uploads'), { recursive: true, force: true });
  const start = hostile.requests.length;
  hostile.misbehave((req, res, route) => {
    if (route.kind !== 'other' || !(req.url ?? '').includes('/blobs/uploads/')) return false;
    if (req.complete) answer(req, res);
    else req.on('end', () => answer(req, res));
    return true;
  });
  const r = await runShaleAsync([
    '--root',
    root,
    'push',
    '--chunk-size',
    '8MiB',
    '-q',
    SOURCE,
    `${hostile.host}/evil/x:v1`,
  ]);
  const patches = hostile.requests.slice(start).filter((q) => q.method === 'PATCH').length;
  return { status: r.status, stderr: r.stderr, patches };
}

const session = (id: string) => `/v2/evil/x/blobs/uploads/${id}`;

test('a hostile registry: wrong Range, missing Location, failures without end — bounded errors', async (t) => {
  t.after(() => hostile?.stop());
  // POST starts a session; PATCH confirms fewer bytes than were sent.
  const short = await hostilePush((req, res) => {
    const range = req.method === 'POST' ? '0-0' : '0-1023';
    res.writeHead(202, { location: session('a'), range }).end();
  });
  assert.equal(short.status, 1);
  assert.match(
    short.stderr,
    /^shale: .*confirmed 1024 bytes of blob sha256:[0-9a-f]{64} after bytes 0-8388607 were sent/m,
  );
  assert.equal(short.patches, 1);

  // PATCH answers without a Location.
  const lost = await hostilePush((req, res) => {
    if (req.method === 'POST') res.writeHead(202, { location: session('b'), range: '0-0' }).end();
    else res.writeHead(202, { range: `0-${CHUNK - 1}` }).end();
  });
  assert.equal(lost.status, 1);
  assert.match(lost.stderr, /^shale: .*answered the upload PATCH without a Location/m);

  // PATCH always fails with 500 while the status keeps saying the same range: a few attempts.
  const stuck = await hostilePush((req, res) => {
    if (req.method === 'PATCH') res.writeHead(500).end();
    else
      res
        .writeHead(req.method === 'POST' ? 202 : 204, { location: session('c'), range: '0-0' })
        .end();
  });
  assert.equal(stuck.status, 1);
  assert.match(stuck.stderr, /^shale: /m);
  assert.ok(stuck.patches >= 2 && stuck.patches <= 6, `${stuck.patches} PATCH requests`);
});
