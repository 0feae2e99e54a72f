// `docker image inspect` through `shale serve` against a real dockerd 20.10 for the same image
// pulled from the test registry by `docker pull` on each side: the docker 28 client talks to both
// at DOCKER_API_VERSION=1.41, and `Id`, `RepoTags`, `RepoDigests`, `Config`, `RootFS`,
// `Architecture`, `Os` and `Size` are equal. Debian's docker 20.10 client (`/usr/bin/docker`)
// lists and pulls through shale too.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  dockerUnavailable,
  startDockerDaemon,
  type DockerDaemon,
} from '../helpers/docker-daemon.ts';
import { buildEdgeImage } from '../helpers/edge-image.ts';
import { publish } from '../helpers/publish.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { startServe, type ServedShale } from '../helpers/serve.ts';
import { buildSmallFixture } from '../helpers/small-fixture.ts';

/** The docker 28 client (the one on PATH), for both sides. */
const DOCKER_28 = '/usr/local/bin/docker';
/** Debian's docker.io client, the same version as the private dockerd. */
const DOCKER_20 = '/usr/bin/docker';

const skip = dockerUnavailable();
let work: string;
let registry: TestRegistry;
let daemon: DockerDaemon;
let served: ServedShale;
let small: string;
let edge: string;

function run(client: string, env: NodeJS.ProcessEnv, args: string[]): string {
  const r = spawnSync(client, args, {
    env: { ...env, DOCKER_API_VERSION: '1.41' },
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, `${client} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const viaShale = (...args: string[]) => run(DOCKER_28, served.env, args);
const viaDockerd = (...args: string[]) => run(DOCKER_28, daemon.env, args);

type Inspect = Record<string, unknown>;
const inspect = (output: string) => (JSON.parse(output) as Inspect[])[0]!;

before(async () => {
  if (skip) return;
  work = fs.mkdtempSync(path.join(tmpdir(), 'shale-inspect-api-'));
  await buildSmallFixture(path.join(work, 'small'));
  buildEdgeImage(path.join(work, 'trees'), path.join(work, 'edge'));
  registry = await startRegistry();
  small = `${registry.host}/peers/small:v1`;
  edge = `${registry.host}/peers/edge:v2s2`;
  await publish(path.join(work, 'small', 'oci'), 'small', small, 'oci');
  await publish(path.join(work, 'edge'), 'edge', edge, 'v2s2');
  // overlay2 with its native diff counts sizes as shale does (vfs's naive diff counts tar
  // header sizes instead: see test/formats/docker-sizes.test.ts)
  daemon = await startDockerDaemon({ driver: 'overlay2' });
  const status = JSON.parse(viaDockerd('info', '--format', '{{json .DriverStatus}}')) as string[][];
  assert.deepEqual(
    status.find(([key]) => key === 'Native Overlay Diff'),
    ['Native Overlay Diff', 'true'],
    'overlay2 runs with its native diff here',
  );
  served = await startServe(path.join(work, 'root'));
});

after(async () => {
  if (served) assert.equal(await served.stop(), 0, served.stderr());
  await daemon?.stop();
  await registry?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

/** The keys the issue asks to be equal; every other key is Docker's local bookkeeping. */
const EQUAL_KEYS = [
  'Id',
  'RepoTags',
  'RepoDigests',
  'Config',
  'RootFS',
  'Architecture',
  'Os',
  'Size',
];

for (const which of ['small (OCI)', 'edge (Docker v2s2)'] as const) {
  test(`docker image inspect of ${which} through shale equals dockerd 20.10's`, { skip }, () => {
    const ref = which.startsWith('small') ? small : edge;
    viaShale('pull', '-q', ref);
    viaDockerd('pull', '-q', ref);
    const ours = inspect(viaShale('image', 'inspect', ref));
    const theirs = inspect(viaDockerd('image', 'inspect', ref));
    for (const key of EQUAL_KEYS) assert.deepEqual(ours[key], theirs[key], key);
    // Documented differences, each with its reason:
    // GraphDriver: shale has no graph driver; it names itself, dockerd names its driver
    assert.deepEqual(ours.GraphDriver, { Data: null, Name: 'shale' });
    assert.equal((theirs.GraphDriver as { Name: string }).Name, 'overlay2');
    // the remaining keys are the image's own (Created, Author, …): equal too, as a pulled image
    // carries them in its config; VirtualSize is Size at 1.41 on both sides
    for (const key of ['Created', 'Author', 'Comment', 'Parent', 'DockerVersion', 'VirtualSize'])
      assert.deepEqual(ours[key], theirs[key], key);
  });
}

test("Debian's docker 20.10 client lists and pulls through shale", { skip }, () => {
  const pulled = run(DOCKER_20, served.env, ['pull', small]);
  assert.match(pulled, /^Status: (Downloaded newer image|Image is up to date) for /m);
  assert.match(pulled, /^Digest: sha256:[0-9a-f]{64}$/m);
  const listed = run(DOCKER_20, served.env, [
    'images',
    '--no-trunc',
    '--format',
    '{{.Repository}}:{{.Tag}} {{.ID}}',
  ]);
  const id = inspect(viaShale('image', 'inspect', small)).Id as string;
  assert.ok(listed.split('\n').includes(`${small} ${id}`), listed);
});
