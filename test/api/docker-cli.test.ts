// The real docker CLI (the 28.x client on PATH) driving `shale serve` over a unix socket, against
// a store the shale CLI filled by pulling from the real registry: version/info, images (with
// --digests, -q, dangling and --format), tag, image inspect, history, rmi with dockerd's
// multi-tag rules, system df (true sizes, shared sizes), image prune and prune -a, and run (the
// 501 message). The shale CLI works on the same store at the same time and sees each change.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildEdgeImage } from '../helpers/edge-image.ts';
import { buildLayeredImage } from '../helpers/layered-image.ts';
import { publish, remoteDigest } from '../helpers/publish.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { apiRequest, startServe, type ServedShale } from '../helpers/serve.ts';
import { runShale } from '../helpers/shale.ts';
import { buildSmallFixture } from '../helpers/small-fixture.ts';

let registry: TestRegistry;
let served: ServedShale;
let work: string;
let root: string;
let small: string;
let edge: string;

function docker(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('docker', args, { env: served.env, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function dockerOk(...args: string[]): string {
  const r = docker(...args);
  assert.equal(r.status, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function shale(...args: string[]): string {
  const r = runShale(['--root', root, ...args]);
  assert.equal(r.status, 0, `shale ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const lines = (text: string) => text.split('\n').filter((l) => l !== '');
const idOf = (ref: string) => shale('images', '-q', '--no-trunc', ref).trim();

before(async () => {
  work = fs.mkdtempSync(path.join(tmpdir(), 'shale-docker-cli-'));
  const layout = path.join(work, 'layout');
  buildEdgeImage(path.join(work, 'trees'), layout);
  const smallLayout = path.join(work, 'small');
  await buildSmallFixture(smallLayout);
  registry = await startRegistry();
  small = `${registry.host}/peers/small:v1`;
  edge = `${registry.host}/peers/edge:v2s2`;
  await publish(path.join(smallLayout, 'oci'), 'small', small, 'oci');
  await publish(layout, 'edge', edge, 'v2s2');
  root = path.join(work, 'root');
  shale('pull', '-q', small);
  shale('pull', '-q', edge);
  served = await startServe(root);
});

after(async () => {
  if (served) assert.equal(await served.stop(), 0, served.stderr());
  await registry?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

test('docker version and docker info answer from shale', () => {
  const version = JSON.parse(dockerOk('version', '--format', '{{json .Server}}')) as {
    ApiVersion: string;
    Os: string;
  };
  assert.equal(version.ApiVersion, '1.50');
  assert.equal(version.Os, 'linux');
  const info = JSON.parse(dockerOk('info', '--format', '{{json .}}')) as {
    Images: number;
    DockerRootDir: string;
    Driver: string;
  };
  assert.equal(info.Images, 2);
  assert.equal(info.DockerRootDir, fs.realpathSync(root));
  assert.equal(info.Driver, 'shale');
});

test('docker images lists the pulled images, with digests, IDs, filters and formats', async () => {
  assert.deepEqual(
    lines(dockerOk('images', '--format', '{{.Repository}}:{{.Tag}}')).sort(),
    [edge, small].sort(),
  );
  const ids = [idOf(edge), idOf(small)];
  assert.deepEqual(
    lines(dockerOk('images', '-q')).sort(),
    ids.map((id) => id.slice('sha256:'.length, 'sha256:'.length + 12)).sort(),
  );
  const digests = lines(
    dockerOk('images', '--digests', '--format', '{{.Repository}}:{{.Tag}} {{.Digest}}'),
  ).sort();
  assert.deepEqual(
    digests,
    [`${edge} ${await remoteDigest(edge)}`, `${small} ${await remoteDigest(small)}`].sort(),
  );
  assert.deepEqual(lines(dockerOk('images', '--filter', 'dangling=true', '-q')), []);
  assert.deepEqual(
    lines(dockerOk('images', '--filter', `reference=*/peers/small`, '--format', '{{.Tag}}')),
    ['v1'],
  );
});

test('docker image inspect and docker history show what shale shows', () => {
  const theirs = (JSON.parse(dockerOk('image', 'inspect', small)) as Record<string, unknown>[])[0]!;
  const ours = (JSON.parse(shale('inspect', small)) as Record<string, unknown>[])[0]!;
  // API 1.50 (the 28 client's): dockerd no longer sends VirtualSize (1.44), Container and
  // ContainerConfig (1.45); shale's own LegacyIds is not an Engine API key
  const { LegacyIds, VirtualSize, Container, ContainerConfig, ...expected } = ours;
  assert.ok(LegacyIds && VirtualSize !== undefined && Container !== undefined && ContainerConfig);
  assert.deepEqual(theirs, expected);
  const format = '{{.ID}}|{{.CreatedBy}}|{{.Size}}|{{.Comment}}';
  const history = dockerOk('history', '--no-trunc', '--format', format, small);
  assert.equal(history, shale('history', '--no-trunc', '--format', format, small));
  assert.equal(lines(history)[0]!.split('|')[0], idOf(small));
});

test('docker tag shows in the shale CLI at once, and docker rmi follows dockerd', () => {
  dockerOk('tag', small, 'mine/small:copy');
  const id = idOf(small);
  assert.equal(idOf('mine/small:copy'), id);
  // named by ID while in two repositories: refused as dockerd refuses it
  const refused = docker('rmi', id.slice(7, 19));
  assert.notEqual(refused.status, 0);
  assert.match(
    refused.stderr,
    new RegExp(
      `Error response from daemon: conflict: unable to delete ${id.slice(7, 19)} \\(must be forced\\) - image is referenced in multiple repositories`,
    ),
  );
  // named by one of its tags: only that tag goes
  assert.equal(dockerOk('rmi', 'mine/small:copy'), 'Untagged: mine/small:copy\n');
  assert.equal(idOf(small), id);
  // a tag that does not exist
  const missing = docker('rmi', 'mine/small:nothing');
  assert.notEqual(missing.status, 0);
  assert.match(missing.stderr, /No such image: mine\/small:nothing/);
});

test('docker system df counts true sizes and the layers images share', async () => {
  // a two-layer image whose one-layer parent is tagged too: they share the base layer
  buildLayeredImage(root, path.join(work, 'layered'), 'layered:v1', 2, 1000);
  const parent = JSON.parse(
    shale('inspect', '--format', '{{json .Parent}}', 'layered:v1'),
  ) as string;
  shale('tag', parent, 'layered:base');
  const answer = await apiRequest(served.socket, '/v1.50/system/df');
  assert.equal(answer.status, 200);
  const df = JSON.parse(answer.body.toString()) as {
    LayersSize: number;
    Images: { RepoTags: string[]; Size: number; SharedSize: number; Containers: number }[];
    Containers: unknown[];
    Volumes: unknown[];
    BuildCache: unknown[];
  };
  const byTag = new Map(df.Images.map((image) => [image.RepoTags[0]!, image]));
  assert.deepEqual([...byTag.keys()].sort(), [edge, 'layered:base', 'layered:v1', small].sort());
  assert.equal(byTag.get('layered:v1')!.Size, 2000);
  assert.equal(byTag.get('layered:base')!.Size, 1000);
  assert.equal(byTag.get('layered:v1')!.SharedSize, 1000);
  assert.equal(byTag.get('layered:base')!.SharedSize, 1000);
  assert.equal(byTag.get(small)!.SharedSize, 0);
  assert.ok(df.Images.every((image) => image.Containers === 0));
  assert.equal(
    df.LayersSize,
    byTag.get(small)!.Size + byTag.get(edge)!.Size + byTag.get('layered:v1')!.Size,
  );
  assert.deepEqual([df.Containers, df.Volumes, df.BuildCache], [[], [], []]);
  const rows = lines(dockerOk('system', 'df', '--format', '{{.Type}}|{{.TotalCount}}|{{.Active}}'));
  assert.deepEqual(rows, ['Images|4|0', 'Containers|0|0', 'Local Volumes|0|0', 'Build Cache|0|0']);
});

test('docker image prune removes dangling images; prune -a every image (no containers use any)', async () => {
  // the edge image keeps only its digest reference once its tag names another image: dangling
  const edgeId = idOf(edge);
  const edgeDigest = await remoteDigest(edge);
  shale('tag', small, edge);
  assert.deepEqual(
    lines(dockerOk('images', '--filter', 'dangling=true', '--format', '{{.ID}} {{.Tag}}')),
    [`${edgeId.slice(7, 19)} <none>`],
  );
  const pruned = dockerOk('image', 'prune', '-f');
  const edgeRepo = edge.slice(0, edge.lastIndexOf(':'));
  assert.match(
    pruned,
    new RegExp(
      `^Deleted Images:\nuntagged: ${edgeRepo}@${edgeDigest}\ndeleted: ${edgeId}\n(deleted: sha256:[0-9a-f]{64}\n)+\nTotal reclaimed space: `,
    ),
  );
  assert.equal(runShale(['--root', root, 'inspect', edgeId]).status, 1);
  assert.equal(new Set(lines(dockerOk('images', '-q'))).size, 3);
  const all = dockerOk('image', 'prune', '-a', '-f');
  assert.match(all, /^Deleted Images:\n/);
  assert.match(all, new RegExp(`untagged: ${small}\n`));
  assert.deepEqual(lines(dockerOk('images', '-aq')), []);
  assert.equal(shale('images', '-q'), '');
});

test('docker run answers that shale serves images only, and fails', () => {
  const run = docker('run', '--rm', 'alpine');
  assert.notEqual(run.status, 0);
  assert.match(run.stderr, /shale serves images only: POST \/containers is not served/);
});
