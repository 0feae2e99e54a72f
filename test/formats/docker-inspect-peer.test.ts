// Docker (a private dockerd 20.10) as the peer for `shale inspect` and the configs shale writes:
// an image Docker committed (`docker commit -a -m -c` of a `docker run --network none` container
// whose base `docker import -c -m` made) reaches shale by pull through the test registry and by
// `docker save` → `shale load`; `shale inspect` must equal `docker image inspect` key for key
// except the differences listed (each with its reason). `shale import -c -m` of the same tar must
// write the config `docker import -c -m` writes, except the fields listed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
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
const work = fs.mkdtempSync(path.join(tmpdir(), 'shale-inspect-peer-'));
const rootfsTar = path.join(work, 'rootfs.tar');
const CHANGES = [
  'ENV A=1 B="two words"',
  'ENV C=$A-c',
  'LABEL org.example.b=2 org.example.a="$B"',
  'EXPOSE 80 53/udp 8000-8001',
  'USER 1000:1000',
  'WORKDIR /srv',
  'WORKDIR app',
  'VOLUME ["/data", "/logs"]',
  'ENTRYPOINT ["/bin/sh", "-c"]',
  'CMD echo $A',
  'ONBUILD RUN echo built',
  'HEALTHCHECK --interval=30s --retries=3 CMD test -e /etc/hello',
];
let daemon: DockerDaemon;
let registry: TestRegistry;
let committed: Record<string, unknown>;
let committedRef: string;

type Inspect = Record<string, unknown> & { Id: string };

function dockerInspect(ref: string): Inspect {
  return (JSON.parse(daemon.docker(['image', 'inspect', ref])) as Inspect[])[0]!;
}

function shaleInspect(root: string, ref: string): Inspect {
  const run = runShale(['--root', root, 'inspect', ref]);
  assert.equal(run.status, 0, run.stderr);
  return (JSON.parse(run.stdout) as Inspect[])[0]!;
}

/** A rootfs docker can run: dash and the libraries it links, plus one file to change. */
function makeRootfs(): void {
  const dir = path.join(work, 'rootfs');
  fs.mkdirSync(path.join(dir, 'bin'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'etc'));
  fs.copyFileSync('/bin/dash', path.join(dir, 'bin', 'sh'));
  const libs = execFileSync('ldd', ['/bin/dash'], { encoding: 'utf8' }).match(/\/\S+/g) ?? [];
  for (const lib of libs) {
    fs.mkdirSync(path.join(dir, path.dirname(lib)), { recursive: true });
    fs.copyFileSync(fs.realpathSync(lib), path.join(dir, lib));
  }
  fs.writeFileSync(path.join(dir, 'etc', 'hello'), 'hello\n');
  execFileSync('tar', ['-C', dir, '--owner=0', '--group=0', '-cf', rootfsTar, '.']);
}

/** The config bytes of `ref` as docker stores them (from `docker save`). */
function dockerConfig(ref: string): Record<string, unknown> {
  const archive = path.join(work, `${ref.replace(/\W/g, '_')}.tar`);
  daemon.docker(['save', '-o', archive, ref]);
  const manifest = JSON.parse(
    execFileSync('tar', ['-xOf', archive, 'manifest.json'], { encoding: 'utf8' }),
  ) as {
    Config: string;
  }[];
  return JSON.parse(
    execFileSync('tar', ['-xOf', archive, manifest[0]!.Config], { encoding: 'utf8' }),
  ) as Record<string, unknown>;
}

before(async () => {
  if (skip) return;
  makeRootfs();
  daemon = await startDockerDaemon();
  registry = await startRegistry();
  daemon.docker([
    'import',
    ...CHANGES.flatMap((c) => ['-c', c]),
    '-m',
    'the base',
    rootfsTar,
    'peers/base:v1',
  ]);
  daemon.docker([
    'run',
    '--network',
    'none',
    '--name',
    'maker',
    '--user',
    '0',
    '--entrypoint',
    '/bin/sh',
    'peers/base:v1',
    '-c',
    'echo changed > /etc/hello',
  ]);
  committedRef = `${registry.host}/peers/committed:v1`;
  daemon.docker([
    'commit',
    '-a',
    'Jane <jane@example.com>',
    '-m',
    'changed hello',
    '-c',
    'ENV D=4',
    '-c',
    'EXPOSE 9000',
    'maker',
    committedRef,
  ]);
  committed = dockerInspect(committedRef);
});

after(async () => {
  await daemon?.stop();
  await registry?.stop();
});

/**
 * The keys shale and Docker must agree on for the same image, in Docker's order: every key of
 * Docker's ImageInspect except those whose difference is expected (see `differences`).
 */
const DOCKER_KEYS = [
  'Id',
  'RepoTags',
  'RepoDigests',
  'Parent',
  'Comment',
  'Created',
  'Container',
  'ContainerConfig',
  'DockerVersion',
  'Author',
  'Config',
  'Architecture',
  'Os',
  'Size',
  'VirtualSize',
  'GraphDriver',
  'RootFS',
  'Metadata',
];

function compare(
  ours: Inspect,
  theirs: Inspect,
  differences: Record<string, [unknown, unknown]>,
): void {
  // same keys, same order (shale adds LegacyIds last)
  assert.deepEqual(Object.keys(ours), [...Object.keys(theirs), 'LegacyIds']);
  assert.deepEqual(Object.keys(theirs), DOCKER_KEYS);
  for (const key of DOCKER_KEYS) {
    if (key in differences) {
      assert.deepEqual([ours[key], theirs[key]], differences[key], key);
    } else {
      assert.deepEqual(ours[key], theirs[key], key);
    }
  }
}

const ZERO_TIME = '0001-01-01T00:00:00Z';

test('a Docker-committed image pulled by shale inspects as docker shows it', { skip }, () => {
  daemon.docker(['push', committedRef]);
  const pushed = dockerInspect(committedRef);
  const root = path.join(work, 'pulled');
  const pull = runShale(['--root', root, 'pull', '-q', committedRef]);
  assert.equal(pull.status, 0, pull.stderr);
  const ours = shaleInspect(root, committedRef);
  compare(ours, pushed, {
    // Parent is local history: Docker knows the image it committed from; a pulled image has none
    Parent: ['', committed.Parent],
    // shale has no graph driver: its own name and no driver data, not vfs
    GraphDriver: [
      { Data: null, Name: 'shale' },
      { Data: null, Name: 'vfs' },
    ],
    // Docker recorded the tag `docker commit` set; a pull sets no tag time (in Docker neither)
    Metadata: [{ LastTagTime: ZERO_TIME }, committed.Metadata],
  });
  assert.equal(ours.Comment, 'changed hello'); // from the last history entry, as Docker
  assert.equal(ours.Author, 'Jane <jane@example.com>');
  assert.notEqual(ours.Container, ''); // Docker's container ID, shown as Docker shows it
});

test(
  'a Docker-committed image loaded from docker save inspects as docker shows it',
  { skip },
  () => {
    const archive = path.join(work, 'committed.tar');
    daemon.docker(['save', '-o', archive, committedRef]);
    const root = path.join(work, 'loaded');
    const load = runShale(['--root', root, 'load', '-q', '-i', archive]);
    assert.equal(load.status, 0, load.stderr);
    const theirs = dockerInspect(committedRef);
    compare(shaleInspect(root, committedRef), theirs, {
      // docker save carries no registry digest; Docker remembers the one its push made
      RepoDigests: [[], theirs.RepoDigests],
      Parent: ['', committed.Parent],
      GraphDriver: [
        { Data: null, Name: 'shale' },
        { Data: null, Name: 'vfs' },
      ],
      // a load sets no tag time (Docker's load neither); Docker's is from its commit
      Metadata: [{ LastTagTime: ZERO_TIME }, committed.Metadata],
    });
  },
);

test('shale import -c -m writes the config docker import -c -m writes', { skip }, () => {
  const root = path.join(work, 'imported');
  const run = runShale([
    '--root',
    root,
    'import',
    ...CHANGES.flatMap((c) => ['--change', c]),
    '-m',
    'the base',
    rootfsTar,
    'peers/base:v1',
  ]);
  assert.equal(run.status, 0, run.stderr);
  const id = run.stdout.trim();
  const show = runShale(['--root', root, 'save', id, '-o', path.join(work, 'shale-import.tar')]);
  assert.equal(show.status, 0, show.stderr);
  const manifest = JSON.parse(
    execFileSync('tar', ['-xOf', path.join(work, 'shale-import.tar'), 'manifest.json'], {
      encoding: 'utf8',
    }),
  ) as { Config: string }[];
  const ours = JSON.parse(
    execFileSync('tar', ['-xOf', path.join(work, 'shale-import.tar'), manifest[0]!.Config], {
      encoding: 'utf8',
    }),
  ) as Record<string, unknown>;
  const theirs = dockerConfig('peers/base:v1');
  const { created: oursCreated, history: oursHistory, ...oursRest } = ours;
  const {
    created: theirsCreated,
    history: theirsHistory,
    // no Docker made shale's image: it claims no docker_version
    docker_version: dockerVersion,
    // Docker writes a zero container_config (no container made the import); shale leaves it out
    container_config: containerConfig,
    ...theirsRest
  } = theirs;
  assert.match(String(dockerVersion), /^20\.10\./);
  assert.deepEqual(containerConfig, dockerInspect('peers/base:v1').ContainerConfig);
  assert.deepEqual(oursRest, theirsRest); // comment, config (changes applied), architecture, os, rootfs
  assert.deepEqual(
    Object.keys(ours),
    Object.keys(theirs).filter((k) => k !== 'docker_version' && k !== 'container_config'),
  );
  // created is the time of each import; the history entry is otherwise the same
  assert.equal(typeof oursCreated, 'string');
  assert.equal(typeof theirsCreated, 'string');
  assert.deepEqual(
    (oursHistory as { created: string }[]).map(
      ({ created, ...rest }) => (assert.equal(created, oursCreated), rest),
    ),
    (theirsHistory as { created: string }[]).map(
      ({ created, ...rest }) => (assert.equal(created, theirsCreated), rest),
    ),
  );
  // and the inspect views differ only where the configs do
  const shaleView = shaleInspect(root, 'peers/base:v1');
  const dockerView = dockerInspect('peers/base:v1');
  compare(shaleView, dockerView, {
    // the config bytes differ (created, docker_version, container_config), so the IDs do
    Id: [id, dockerView.Id],
    Created: [oursCreated, theirsCreated],
    DockerVersion: ['', dockerVersion],
    GraphDriver: [
      { Data: null, Name: 'shale' },
      { Data: null, Name: 'vfs' },
    ],
    // each recorded when its import set the tag
    Metadata: [shaleView.Metadata, dockerView.Metadata],
  });
  const tagged = (shaleView.Metadata as { LastTagTime: string }).LastTagTime;
  assert.ok(Date.parse(tagged) >= Date.parse(oursCreated as string), tagged);
});
