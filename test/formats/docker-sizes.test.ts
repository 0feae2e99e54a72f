// Sizes as Docker counts them, against a real dockerd 20.10 with overlay2 (native diff): a base
// from `docker import` of a tarred directory, then `docker build` with RUN steps that delete files
// (whiteout-only layers), make hard links and symlinks, overwrite a file, a WORKDIR and a COPY.
// Pushed to the test registry and pulled by shale (lazily, and with --verify), and `docker save`d
// then `shale load`ed: `shale images --json`, `inspect` and `history --json` give the sizes the
// daemon's API gives (the figures `docker images`, `docker image inspect` and `docker history`
// print), layer by layer.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  dockerUnavailable,
  startDockerDaemon,
  type DockerDaemon,
} from '../helpers/docker-daemon.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { runShale } from '../helpers/shale.ts';

const skip = dockerUnavailable();
const work = fs.mkdtempSync(path.join(tmpdir(), 'shale-docker-sizes-'));
let daemon: DockerDaemon;
let registry: TestRegistry;
let built: string;
let base: string;

/** A root filesystem of host binaries (dash as /bin/sh, rm, ln, mkdir, with their libraries). */
function makeRootfs(root: string): void {
  for (const tool of ['dash', 'rm', 'ln', 'mkdir']) {
    const binary = execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim();
    const libraries = execFileSync('ldd', [binary], { encoding: 'utf8' }).match(/\/\S+/g) ?? [];
    for (const file of [binary, ...libraries]) {
      const to = path.join(root, 'bin', path.basename(file));
      const target = file === binary ? to : path.join(root, file);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.copyFileSync(fs.realpathSync(file), target);
      fs.chmodSync(target, 0o755);
    }
  }
  fs.symlinkSync('dash', path.join(root, 'bin/sh'));
  fs.mkdirSync(path.join(root, 'data/gone/deeper'), { recursive: true });
  fs.writeFileSync(path.join(root, 'data/gone/a'), 'a'.repeat(1000));
  fs.writeFileSync(path.join(root, 'data/gone/deeper/b'), 'b'.repeat(300));
  fs.writeFileSync(path.join(root, 'data/file1'), 'c'.repeat(2000));
  fs.writeFileSync(path.join(root, 'data/big'), 'd'.repeat(5000));
  fs.linkSync(path.join(root, 'data/big'), path.join(root, 'data/big-link'));
  fs.symlinkSync('../data/big', path.join(root, 'bin/big'));
  fs.writeFileSync(path.join(root, 'data/empty'), '');
}

const DOCKERFILE = `FROM sizes/base:1
RUN rm -rf /data/gone /data/file1
RUN printf '%s' 0123456789 > /data/new && ln /data/new /data/new-link && ln -s /data/new /data/sym
WORKDIR /app
COPY hello.txt /app/
ENV GREETING=hello
RUN printf 'xy' > /data/big && rm /data/empty
RUN mkdir -p /data/tree/leaf && printf 'leaf' > /data/tree/leaf/f && rm -r /data/tree
`;

/** GET from the daemon's Engine API (what the docker CLI prints, as exact numbers). */
function engine<T>(apiPath: string): Promise<T> {
  const socketPath = daemon.env.DOCKER_HOST!.replace(/^unix:\/\//, '');
  return new Promise((resolve, reject) => {
    http
      .get({ socketPath, path: `/v1.41${apiPath}` }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 200) reject(new Error(`${apiPath}: ${res.statusCode} ${body}`));
          else resolve(JSON.parse(body) as T);
        });
      })
      .on('error', reject);
  });
}

function shale(root: string, ...args: string[]): string {
  const r = runShale(['--root', root, ...args]);
  assert.equal(r.status, 0, `shale ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

interface Sizes {
  images: number;
  inspect: { Size: number; VirtualSize?: number };
  history: { Size: number; CreatedBy: string }[];
}

async function dockerSizes(id: string): Promise<Sizes> {
  const listed = await engine<{ Id: string; Size: number }[]>('/images/json?all=1');
  const inspect = await engine<{ Size: number; VirtualSize: number }>(`/images/${id}/json`);
  const history = await engine<{ Size: number; CreatedBy: string }[]>(`/images/${id}/history`);
  return {
    images: listed.find((i) => i.Id === id)!.Size,
    inspect: { Size: inspect.Size, VirtualSize: inspect.VirtualSize },
    history: history.map(({ Size, CreatedBy }) => ({ Size, CreatedBy })),
  };
}

function shaleSizes(root: string, id: string): Sizes {
  const listed = JSON.parse(shale(root, 'images', '--json')) as { Id: string; Size: number }[];
  const [inspect] = JSON.parse(shale(root, 'inspect', '--json', id)) as Sizes['inspect'][];
  const history = JSON.parse(shale(root, 'history', '--json', id)) as Sizes['history'];
  const found = listed.find((i) => i.Id === id);
  assert.ok(found, `shale images lists ${id}`);
  return {
    images: found.Size,
    inspect: { Size: inspect!.Size, VirtualSize: inspect!.VirtualSize },
    history: history.map(({ Size, CreatedBy }) => ({ Size, CreatedBy })),
  };
}

async function assertSameSizes(root: string): Promise<void> {
  for (const id of [built, base]) assert.deepEqual(shaleSizes(root, id), await dockerSizes(id));
}

function layerRecords(root: string): { contentSize?: number }[] {
  const dir = path.join(root, 'shale', 'layers', 'sha256');
  return fs
    .readdirSync(dir)
    .map((name) => JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')) as object);
}

before(async () => {
  if (skip) return;
  registry = await startRegistry();
  daemon = await startDockerDaemon({ driver: 'overlay2' });
  const status = JSON.parse(
    daemon.docker(['info', '--format', '{{json .DriverStatus}}']),
  ) as string[][];
  // With a naive diff (kernels with overlay redirect_dir) Docker counts tar header sizes instead.
  assert.deepEqual(
    status.find(([key]) => key === 'Native Overlay Diff'),
    ['Native Overlay Diff', 'true'],
    'overlay2 runs with its native diff here',
  );
  const rootfs = path.join(work, 'rootfs');
  makeRootfs(rootfs);
  execFileSync('tar', ['-C', rootfs, '-cf', path.join(work, 'rootfs.tar'), '.']);
  base = daemon.docker(['import', path.join(work, 'rootfs.tar'), 'sizes/base:1']).trim();
  const context = path.join(work, 'context');
  fs.mkdirSync(context);
  fs.writeFileSync(path.join(context, 'hello.txt'), 'hello, world\n'.repeat(90));
  fs.writeFileSync(path.join(context, 'Dockerfile'), DOCKERFILE);
  daemon.docker(['build', '-q', '--network', 'none', '-t', 'sizes/built:1', context]);
  built = JSON.parse(
    daemon.docker(['image', 'inspect', '--format', '{{json .Id}}', 'sizes/built:1']),
  ) as string;
  for (const name of ['base', 'built']) {
    daemon.docker(['tag', `sizes/${name}:1`, `${registry.host}/sizes/${name}:1`]);
    daemon.docker(['push', `${registry.host}/sizes/${name}:1`]);
  }
});

after(async () => {
  await daemon?.stop();
  await registry?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

test('the built image has the layers this test is about', { skip }, async () => {
  const { history } = await dockerSizes(built);
  const sizeOf = (step: RegExp) => history.find((h) => step.test(h.CreatedBy))!.Size;
  assert.equal(sizeOf(/rm -rf \/data\/gone/), 0, 'a whiteout-only layer is 0 B');
  assert.equal(sizeOf(/WORKDIR/), 0, 'a WORKDIR layer is 0 B');
  assert.equal(sizeOf(/0123456789/), 10 + '/data/new'.length, 'hard link once, symlink target');
  assert.equal(sizeOf(/COPY/), 13 * 90);
  assert.equal(sizeOf(/printf 'xy'/), 2);
  assert.equal(sizeOf(/rm -r \/data\/tree/), 0);
});

test('a lazy pull shows the sizes docker shows, counted on first need', { skip }, async () => {
  const root = path.join(work, 'pulled');
  for (const name of ['base', 'built'])
    shale(root, 'pull', '-q', `${registry.host}/sizes/${name}:1`);
  assert.ok(
    layerRecords(root).every((l) => l.contentSize === undefined),
    'nothing counted before it was needed',
  );
  await assertSameSizes(root);
  assert.ok(
    layerRecords(root).every((l) => typeof l.contentSize === 'number'),
    'counted and kept',
  );
  await assertSameSizes(root); // from the records
});

test('a pull with --verify counts the sizes as it downloads', { skip }, async () => {
  const root = path.join(work, 'verified');
  for (const name of ['base', 'built'])
    shale(root, 'pull', '-q', '--verify', `${registry.host}/sizes/${name}:1`);
  assert.ok(layerRecords(root).every((l) => typeof l.contentSize === 'number'));
  await assertSameSizes(root);
});

test('docker save → shale load shows the same sizes', { skip }, async () => {
  const archive = path.join(work, 'saved.tar');
  daemon.docker(['save', '-o', archive, 'sizes/built:1', 'sizes/base:1']);
  const root = path.join(work, 'loaded');
  shale(root, 'load', '-q', '-i', archive);
  await assertSameSizes(root);
});
