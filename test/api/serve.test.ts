// `shale serve` as a process: its unix socket (mode 0660, a stale one replaced, a live one
// refused with a clear error, removed at exit), SIGTERM ending it with exit 0, the answers that
// guard it (Origin refused, unknown paths, API versions out of range), and the shale CLI working
// on the served store at the same time (a tag shows in `docker images` at once; an rmi while
// `docker pull` runs leaves both images consistent).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildLayeredImage } from '../helpers/layered-image.ts';
import { publish } from '../helpers/publish.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { apiRequest, startServe } from '../helpers/serve.ts';
import { runShale, runShaleAsync, SHALE_BIN } from '../helpers/shale.ts';
import { buildSmallFixture } from '../helpers/small-fixture.ts';

let work: string;
let registry: TestRegistry;
let small: string;

before(async () => {
  work = fs.mkdtempSync(path.join(tmpdir(), 'shale-serve-'));
  const smallLayout = path.join(work, 'small');
  await buildSmallFixture(smallLayout);
  registry = await startRegistry();
  small = `${registry.host}/peers/small:v1`;
  await publish(path.join(smallLayout, 'oci'), 'small', small, 'oci');
});

after(async () => {
  await registry?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

/** `shale serve --host unix://SOCKET` as a child; resolves once it answers /_ping. */
async function serveOn(root: string, socket: string) {
  const child = spawn(
    process.execPath,
    [SHALE_BIN, '--root', root, 'serve', '--host', `unix://${socket}`],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  for (let i = 0; ; i++) {
    const ok = await apiRequest(socket, '/_ping').then(
      (a) => a.status === 200,
      () => false,
    );
    if (ok) break;
    if (i > 200) throw new Error(`shale serve did not come up: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, exited, stderr: () => stderr };
}

test('the socket is 0660, a live one is refused, SIGTERM exits 0 and removes it', async () => {
  const root = path.join(work, 'root-socket');
  const socket = path.join(work, 'live.sock');
  const server = await serveOn(root, socket);
  assert.equal(fs.statSync(socket).mode & 0o777, 0o660);
  const second = await runShaleAsync(['--root', root, 'serve', '--host', `unix://${socket}`]);
  assert.equal(second.status, 1);
  assert.equal(second.stderr, `shale: ${socket} is in use: another server listens on it\n`);
  server.child.kill('SIGTERM');
  assert.equal(await server.exited, 0, server.stderr());
  assert.equal(fs.existsSync(socket), false);
});

test('SIGTERM with a docker events client attached exits 0 at once', async () => {
  const root = path.join(work, 'root-events');
  assert.equal(runShale(['--root', root, 'pull', '-q', small]).status, 0);
  const socket = path.join(work, 'events.sock');
  const server = await serveOn(root, socket);
  const env = { ...process.env, DOCKER_HOST: `unix://${socket}`, DOCKER_CONFIG: work };
  const events = spawn('docker', ['events', '--format', '{{.Action}}'], { env });
  let printed = '';
  events.stdout.on('data', (c: Buffer) => (printed += c.toString()));
  const eventsExited = new Promise<number | null>((resolve) => events.once('exit', resolve));
  // the client is attached once a tag made after it started shows in its output
  for (const deadline = Date.now() + 10_000; !printed.includes('tag');) {
    assert.ok(Date.now() < deadline, 'docker events never showed a tag');
    const tagged = await apiRequest(socket, `/images/${small}/tag?repo=events/probe`, {
      method: 'POST',
    });
    assert.equal(tagged.status, 201, tagged.body.toString());
    await new Promise((r) => setTimeout(r, 200));
  }
  const start = Date.now();
  server.child.kill('SIGTERM');
  assert.equal(await server.exited, 0, server.stderr());
  const took = Date.now() - start;
  assert.ok(took < 2_000, `shutdown took ${took} ms with an events stream open`);
  events.kill('SIGKILL');
  await eventsExited;
});

test('a stale socket nobody listens on is replaced', async () => {
  const socket = path.join(work, 'stale.sock');
  // a listener killed outright leaves its socket file behind
  const holder = spawn(process.execPath, [
    '-e',
    `require('net').createServer().listen(${JSON.stringify(socket)}, () => console.log('up'))`,
  ]);
  await new Promise((resolve) => holder.stdout.once('data', resolve));
  holder.kill('SIGKILL');
  await new Promise((resolve) => holder.once('exit', resolve));
  assert.ok(fs.statSync(socket).isSocket());
  const server = await serveOn(path.join(work, 'root-stale'), socket);
  assert.equal((await apiRequest(socket, '/version')).status, 200);
  server.child.kill('SIGTERM');
  assert.equal(await server.exited, 0, server.stderr());
});

test('web pages, unknown paths and API versions out of range get dockerd-style answers', async () => {
  const served = await startServe(path.join(work, 'root-answers'));
  try {
    const fromPage = await apiRequest(served.socket, '/images/json', {
      headers: { origin: 'https://example.com' },
    });
    assert.equal(fromPage.status, 403);
    assert.match((JSON.parse(fromPage.body.toString()) as { message: string }).message, /Origin/);
    const unknown = await apiRequest(served.socket, '/v1.41/no/such/thing');
    assert.equal(unknown.status, 404);
    assert.deepEqual(JSON.parse(unknown.body.toString()), { message: 'page not found' });
    const tooNew = await apiRequest(served.socket, '/v9.99/version');
    assert.equal(tooNew.status, 400);
    assert.deepEqual(JSON.parse(tooNew.body.toString()), {
      message: 'client version 9.99 is too new. Maximum supported API version is 1.50',
    });
    const tooOld = await apiRequest(served.socket, '/v1.12/version');
    assert.equal(tooOld.status, 400);
    assert.match(
      (JSON.parse(tooOld.body.toString()) as { message: string }).message,
      /^client version 1.12 is too old/,
    );
  } finally {
    assert.equal(await served.stop(), 0);
  }
});

test('the shale CLI and the server share the store: tags at once, rmi during a pull', async () => {
  const root = path.join(work, 'root-shared');
  // a second image to pull, large enough that the pull is still running when rmi goes
  const source = path.join(work, 'root-source');
  buildLayeredImage(source, path.join(work, 'layered'), 'layered:v1', 4, 8 << 20);
  const big = `${registry.host}/peers/big:v1`;
  const push = runShale(['--root', source, 'push', '-q', 'layered:v1', big]);
  assert.equal(push.status, 0, push.stderr);
  assert.equal(runShale(['--root', root, 'pull', '-q', small]).status, 0);
  const served = await startServe(root);
  const docker = (...args: string[]) =>
    spawnSync('docker', args, { env: served.env, encoding: 'utf8' });
  try {
    assert.equal(runShale(['--root', root, 'tag', small, 'by-cli:now']).status, 0);
    const listed = docker('images', '--format', '{{.Repository}}:{{.Tag}}');
    assert.match(listed.stdout, /^by-cli:now$/m);

    const pull = new Promise<{ status: number | null; stderr: string }>((resolve) => {
      const child = spawn('docker', ['pull', '-q', big], { env: served.env });
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.once('exit', (status) => resolve({ status, stderr }));
    });
    const rmi = await runShaleAsync(['--root', root, 'rmi', small, 'by-cli:now']);
    assert.equal(rmi.status, 0, rmi.stderr);
    const pulled = await pull;
    assert.equal(pulled.status, 0, pulled.stderr);
    assert.deepEqual(
      docker('images', '--format', '{{.Repository}}:{{.Tag}}').stdout.trim().split('\n'),
      [big],
    );
    const fsck = runShale(['--root', root, 'fsck']);
    assert.equal(fsck.status, 0, fsck.stdout + fsck.stderr);
  } finally {
    assert.equal(await served.stop(), 0, served.stderr());
  }
});
