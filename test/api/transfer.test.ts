// The docker CLI (28.x, on PATH) moves images through `shale serve`: pull from the real
// Distribution registry (plain, then htpasswd after a `docker login` the server checks), push
// (the manifest digest of an unchanged image kept), save | load, import, and its own progress
// rendering under a pseudo-terminal. Bad input to the transfer endpoints leaves the server
// serving and the store as it was.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { ensureFixture } from '../../support/fixtures/image.ts';
import { DEFAULTS } from '../../support/fixtures/presets.ts';
import { buildEdgeImage } from '../helpers/edge-image.ts';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.ts';
import { publish, remoteDigest } from '../helpers/publish.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { apiRequest, startServe, type ServedShale } from '../helpers/serve.ts';
import { runShale } from '../helpers/shale.ts';
import { buildSmallFixture } from '../helpers/small-fixture.ts';

const run = promisify(execFile);

let registry: TestRegistry;
let locked: TestRegistry;
let work: string;
let root: string;
let server: ServedShale;
let small: string;
let edge: string;
let fresh: string;

interface DockerRun {
  status: number;
  stdout: string;
  stderr: string;
}

/** The docker CLI with no stdin (so it never waits for a login prompt's answer). */
function docker(args: string[]): Promise<DockerRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('docker', args, { env: server.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status: status ?? -1, stdout, stderr }));
  });
}

async function dockerOk(args: string[]): Promise<string> {
  const r = await docker(args);
  assert.equal(r.status, 0, `docker ${args.join(' ')}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** The images and references the store holds. */
function imagesState(): string {
  return runShale(['--root', root, 'images', '-a', '--json']).stdout;
}

/** What the store holds, blobs included, to show a refused request changed nothing. */
function storeState(): string {
  const images = imagesState();
  const blobs = spawnSync('find', [root, '-path', '*blobs*', '-type', 'f'], { encoding: 'utf8' });
  return `${images}\n${blobs.stdout.split('\n').sort().join('\n')}`;
}

/** The layer digests of a published image (what the progress lines must name). */
async function layerDigests(reference: string): Promise<string[]> {
  const { stdout } = await run('skopeo', [
    'inspect',
    '--tls-verify=false',
    `docker://${reference}`,
  ]);
  return (JSON.parse(stdout) as { Layers: string[] }).Layers;
}

before(async () => {
  work = fs.mkdtempSync(path.join(tmpdir(), 'shale-api-transfer-'));
  root = path.join(work, 'root');
  small = path.join(work, 'small');
  await buildSmallFixture(small);
  // An image nothing else shares layers with, for the pull a client walks away from.
  fresh = path.join(work, 'fresh');
  await ensureFixture({
    dir: fresh,
    name: 'fresh',
    params: { ...DEFAULTS, layers: 1, files: 20, bytes: 2 << 20, seed: 7 },
    log: () => undefined,
  });
  edge = path.join(work, 'edge');
  buildEdgeImage(path.join(work, 'trees'), edge);
  registry = await startRegistry();
  locked = await startRegistry({ auth: 'htpasswd' });
  await publish(path.join(small, 'oci'), 'small', `${registry.host}/peers/small:v1`, 'v2s2');
  await publish(edge, 'edge', `${registry.host}/peers/edge:v1`, 'v2s2');
  await publish(
    path.join(small, 'oci'),
    'small',
    `${locked.host}/private/small:v1`,
    'v2s2',
    'shale:shale-secret',
  );
  server = await startServe(root);
});

after(async () => {
  const code = await server?.stop();
  await registry?.stop();
  await locked?.stop();
  fs.rmSync(work, { recursive: true, force: true });
  assert.equal(code, 0, 'shale serve exits 0 on SIGTERM');
});

test('docker pull streams per-layer progress and ends with the status lines', async () => {
  const ref = `${registry.host}/peers/small:v1`;
  const out = await dockerOk(['pull', ref]);
  const lines = out.trim().split('\n');
  assert.equal(lines[0], 'v1: Pulling from peers/small');
  for (const layer of await layerDigests(ref)) {
    const id = layer.slice('sha256:'.length, 'sha256:'.length + 12);
    assert.ok(lines.includes(`${id}: Pull complete`), `${id} completes in:\n${out}`);
  }
  assert.ok(lines.includes(`Digest: ${await remoteDigest(ref)}`), out);
  assert.ok(lines.includes(`Status: Downloaded newer image for ${ref}`), out);
  assert.equal(lines.at(-1), ref, 'the CLI names what it pulled last');

  const again = await dockerOk(['pull', ref]);
  assert.match(again, new RegExp(`Status: Image is up to date for ${ref.replace(/\./g, '\\.')}`));
  const inspected = JSON.parse(await dockerOk(['image', 'inspect', ref])) as {
    RepoDigests: string[];
  }[];
  assert.deepEqual(inspected[0]!.RepoDigests, [
    `${registry.host}/peers/small@${await remoteDigest(ref)}`,
  ]);
});

test('docker pull under a terminal draws the layer lines with short IDs', async () => {
  const ref = `${registry.host}/peers/edge:v1`;
  const r = spawnSync('script', ['-qec', `docker pull ${ref}`, '/dev/null'], {
    env: { ...server.env, COLUMNS: '160', LINES: '50' },
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const screen = r.stdout;
  for (const layer of await layerDigests(ref)) {
    const id = layer.slice('sha256:'.length, 'sha256:'.length + 12);
    assert.match(screen, new RegExp(`${id}: Pull complete`), `${id} in:\n${screen}`);
  }
  const escape = String.fromCharCode(0x1b);
  assert.ok(
    new RegExp(`${escape}\\[\\d*A`).test(screen),
    'the CLI moves the cursor up to redraw layer lines',
  );
  const text = screen
    .replace(new RegExp(`${escape}\\[[0-9;]*[A-Za-z]`, 'g'), '')
    .replace(/\r/g, '\n');
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  assert.ok(
    lines.at(-2) === `Status: Downloaded newer image for ${ref}` && lines.at(-1) === ref,
    `ends with the status line:\n${lines.slice(-4).join('\n')}`,
  );
});

test('docker push keeps the manifest digest of an unchanged pulled image', async () => {
  const pulled = `${registry.host}/peers/small:v1`;
  const pushedRef = `${registry.host}/copies/small:v1`;
  await dockerOk(['tag', pulled, pushedRef]);
  const out = await dockerOk(['push', pushedRef]);
  assert.match(
    out,
    new RegExp(`The push refers to repository \\[${registry.host}/copies/small\\]`),
  );
  assert.match(out, /[0-9a-f]{12}: (Mounted from peers\/small|Layer already exists|Pushed)/);
  const digest = await remoteDigest(pulled);
  assert.equal(await remoteDigest(pushedRef), digest);
  assert.match(out, new RegExp(`v1: digest: ${digest} size: \\d+`));
  const again = await dockerOk(['push', pushedRef]);
  assert.match(again, /: Layer already exists/);
  assert.equal(await remoteDigest(pushedRef), digest);
});

test('docker save | docker load gives back the same image', async () => {
  const ref = `${registry.host}/peers/small:v1`;
  const id = (await dockerOk(['image', 'inspect', '-f', '{{.Id}}', ref])).trim();
  const archive = path.join(work, 'saved.tar');
  await dockerOk(['save', '-o', archive, ref]);
  const listing = execFileSync('tar', ['-tf', archive], { encoding: 'utf8' }).split('\n');
  assert.ok(listing.includes('manifest.json'), 'a docker-archive');
  await dockerOk(['tag', ref, 'roundtrip:kept']);
  await dockerOk(['rmi', ref]);
  const loaded = await dockerOk(['load', '-i', archive]);
  assert.match(loaded, new RegExp(`Loaded image: ${ref}`));
  assert.equal((await dockerOk(['image', 'inspect', '-f', '{{.Id}}', ref])).trim(), id);
});

test('docker import makes a one-layer image with the given changes and message', async () => {
  const tree = path.join(work, 'import-tree');
  fs.mkdirSync(path.join(tree, 'etc'), { recursive: true });
  fs.writeFileSync(path.join(tree, 'etc', 'hello'), 'hello from a tar\n');
  const tarFile = path.join(work, 'import.tar.gz');
  execFileSync('tar', ['-czf', tarFile, '-C', tree, '.']);
  const out = await dockerOk([
    'import',
    '-c',
    'ENV GREETING=hi',
    '-m',
    'from a test',
    tarFile,
    'imported:1',
  ]);
  assert.match(out.trim(), /^sha256:[0-9a-f]{64}$/);
  const [image] = JSON.parse(await dockerOk(['image', 'inspect', 'imported:1'])) as {
    Id: string;
    Comment: string;
    Config: { Env: string[] };
    RootFS: { Layers: string[] };
  }[];
  assert.equal(image!.Id, out.trim());
  assert.equal(image!.Comment, 'from a test');
  assert.ok(image!.Config.Env.includes('GREETING=hi'));
  assert.equal(image!.RootFS.Layers.length, 1);
});

test('docker login checks credentials through /auth; the pull then uses them', async () => {
  const ref = `${locked.host}/private/small:v1`;
  const refused = await docker(['pull', ref]);
  assert.equal(refused.status, 1, 'no credentials: the pull is refused');
  const bad = await docker(['login', locked.host, '-u', 'shale', '-p', 'wrong']);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /login to 127\.0\.0\.1:\d+ failed/);
  const good = await docker(['login', locked.host, '-u', 'shale', '-p', 'shale-secret']);
  assert.equal(good.status, 0, good.stderr);
  assert.match(good.stdout, /Login Succeeded/);
  const out = await dockerOk(['pull', ref]);
  assert.match(out, /Status: Downloaded newer image for/);
  assert.doesNotMatch(server.stderr(), /shale-secret/, 'the password is never logged');
});

test('a body that is not a tar is refused fast and leaves the store as it was', async () => {
  const before = storeState();
  const gigabyte = 1 << 30;
  let sent = 0;
  const body = new Readable({
    read() {
      if (sent >= gigabyte) return void this.push(null);
      const chunk = Buffer.alloc(1 << 20, 0x41);
      sent += chunk.length;
      this.push(chunk);
    },
  });
  const started = Date.now();
  const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = httpRequest(
      {
        socketPath: server.socket,
        path: '/images/create?fromSrc=-&repo=junk&tag=1',
        method: 'POST',
        headers: { 'content-type': 'application/x-tar' },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    body.pipe(req);
  });
  assert.equal(answer.status, 400, answer.text);
  assert.match((JSON.parse(answer.text) as { message: string }).message, /tar/i);
  assert.ok(Date.now() - started < 10_000, 'refused without reading the gigabyte');
  assert.ok(sent < gigabyte / 4, `stopped after ${sent} bytes`);
  assert.equal(storeState(), before);
  assert.equal((await apiRequest(server.socket, '/_ping')).status, 200);
});

test('an X-Registry-Auth that is not base64 JSON is a 400', async () => {
  const before = storeState();
  for (const header of ['%%%not base64%%%', Buffer.from('not json').toString('base64url')]) {
    const answer = await apiRequest(
      server.socket,
      `/images/create?fromImage=${registry.host}/peers/small&tag=v1`,
      { method: 'POST', headers: { 'x-registry-auth': header } },
    );
    assert.equal(answer.status, 400, answer.body.toString());
    assert.match(
      (JSON.parse(answer.body.toString()) as { message: string }).message,
      /X-Registry-Auth/,
    );
  }
  assert.equal(storeState(), before);
});

/** Start a streamed request; resolve once `ready` is seen in the answer, then drop the client. */
function disconnectWhen(urlPath: string, method: string, ready: (seen: Buffer) => boolean) {
  return new Promise<void>((resolve, reject) => {
    const req = httpRequest({ socketPath: server.socket, path: urlPath, method }, (res) => {
      if (res.statusCode !== 200) reject(new Error(`${urlPath} answered ${res.statusCode}`));
      let seen = Buffer.alloc(0);
      res.on('data', (c: Buffer) => {
        seen = Buffer.concat([seen, c]);
        if (ready(seen)) {
          req.destroy();
          resolve();
        }
      });
      res.on('end', () => reject(new Error(`finished before the disconnect: ${seen.toString()}`)));
    });
    req.on('error', () => undefined);
    req.end();
  });
}

test('a client gone mid-pull or mid-save: the server keeps serving, nothing is committed', async () => {
  let proxy: FaultProxy | undefined;
  try {
    proxy = await startFaultProxy(registry.host);
    proxy.addRule({
      path: /\/blobs\/sha256:/,
      method: 'GET',
      times: 100,
      fault: { kind: 'throttle', bytesPerSecond: 64 * 1024 },
    });
    await publish(path.join(fresh, 'oci'), 'fresh', `${registry.host}/slow/fresh:v1`, 'v2s2');
    const before = imagesState();
    await disconnectWhen(
      `/images/create?fromImage=${proxy.host}/slow/fresh&tag=v1`,
      'POST',
      (seen) => seen.includes('"Downloading"'),
    );
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(imagesState(), before, 'no image from the aborted pull');
    assert.equal((await apiRequest(server.socket, '/_ping')).status, 200);

    const beforeSave = storeState();
    await disconnectWhen(`/images/get?names=${registry.host}/peers/small:v1`, 'GET', (seen) => {
      return seen.length > 0;
    });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(storeState(), beforeSave);
    const listed = await apiRequest(server.socket, '/images/json');
    assert.equal(listed.status, 200);
  } finally {
    await proxy?.stop();
  }
});
