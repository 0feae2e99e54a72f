// `shale images`, `shale history` and `shale inspect -f` against the docker CLI on the same
// images. A private dockerd 20.10 builds them (`docker import`, then classic-builder `docker build`
// steps: labels, env, a copied file; untagged intermediate images with parent links; an image
// that lost its tag to a rebuild, i.e. dangling; two tags and a second repository); `docker save`
// of all of them → `shale load` gives shale the same images and parent links. Each command then
// runs on both with the same flags and the outputs are compared.
//
// Documented differences, not compared:
// - SIZE columns (docker's layer size accounting is another task's).
// - Row order among images created in the same second: docker sorts by whole seconds with an
//   unstable sort, so its own order of ties varies; rows are compared as sorted lists, and the
//   order of shale's rows is checked to be newest first.
// - CREATED ("N seconds ago") is compared by shape: the two commands run a moment apart.
// - The client is Debian's docker 20.10 (/usr/bin/docker, same version as dockerd): docker/cli
//   20.10 is what shale's formats follow (newer clients dropped VirtualSize from `{{json .}}`).
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
import { runShale } from '../helpers/shale.ts';

const skip = dockerUnavailable();
const work = fs.mkdtempSync(path.join(tmpdir(), 'shale-listing-peer-'));
const root = path.join(work, 'store');
const DOCKER_20_10 = '/usr/bin/docker';
let daemon: DockerDaemon;
let client: string;

function docker(args: string[]): string {
  const r = spawnSync(client, args, {
    env: { ...daemon.env, DOCKER_BUILDKIT: '0' },
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  if (r.status !== 0) throw new Error(`docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function shale(args: string[]): string {
  const r = runShale(['--root', root, ...args]);
  assert.equal(r.status, 0, `shale ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function build(tag: string, dockerfile: string, files: Record<string, string> = {}): void {
  const context = fs.mkdtempSync(path.join(work, 'ctx-'));
  fs.writeFileSync(path.join(context, 'Dockerfile'), dockerfile);
  for (const [name, text] of Object.entries(files))
    fs.writeFileSync(path.join(context, name), text);
  docker(['build', '-q', '-t', tag, context]);
}

before(async () => {
  if (skip) return;
  daemon = await startDockerDaemon();
  client = fs.existsSync(DOCKER_20_10) ? DOCKER_20_10 : daemon.client;
  const rootfs = path.join(work, 'rootfs');
  fs.mkdirSync(path.join(rootfs, 'etc'), { recursive: true });
  fs.writeFileSync(path.join(rootfs, 'etc', 'os-release'), 'ID=peer\n');
  const tar = path.join(work, 'rootfs.tar');
  spawnSync('tar', ['-C', rootfs, '-cf', tar, '.'], { stdio: 'inherit' });
  docker(['import', '-m', 'the base', tar, 'peers/base:1']);
  docker(['tag', 'peers/base:1', 'example.com/mirror/base:v1']);
  build(
    'peers/app:1',
    'FROM peers/base:1\nLABEL tier=web org.example.role=app\nENV GREETING=hello PATH=/usr/bin\n' +
      'COPY greeting.txt /greeting.txt\n',
    { 'greeting.txt': 'hello\n' },
  );
  docker(['tag', 'peers/app:1', 'peers/app:latest']);
  build('peers/db:1', 'FROM peers/base:1\nLABEL tier=db\n');
  // built twice under one tag: the first becomes dangling (untagged, nobody's parent)
  build('peers/scratch:1', 'FROM peers/base:1\nLABEL attempt=1\n');
  build('peers/scratch:1', 'FROM peers/base:1\nLABEL attempt=2\n');
  const tags = docker(['images', '--format', '{{.Repository}}:{{.Tag}}'])
    .split('\n')
    .filter((t) => t !== '' && !t.includes('<none>'));
  const untagged = docker(['images', '-a', '-q', '--no-trunc', '--filter', 'dangling=true'])
    .split('\n')
    .filter(Boolean);
  const intermediates = docker(['images', '-a', '--no-trunc', '--format', '{{.ID}} {{.Tag}}'])
    .split('\n')
    .filter((l) => l.endsWith(' <none>'))
    .map((l) => l.split(' ')[0]!);
  const archive = path.join(work, 'all.tar');
  docker(['save', '-o', archive, ...tags, ...new Set([...untagged, ...intermediates])]);
  shale(['load', '-i', archive]);
});

after(async () => {
  await daemon?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

const lines = (text: string) => text.split('\n').filter((l) => l !== '');
const sorted = (text: string) => lines(text).sort();

/** Both outputs as sorted row lists; a `table` output's header line compared as is. */
function assertSameRows(args: string[], table = false): void {
  const ours = shale(args);
  const theirs = docker(args);
  assert.ok(lines(theirs).length > (table ? 1 : 0), `docker ${args.join(' ')} lists something`);
  if (table) assert.equal(lines(ours)[0], lines(theirs)[0], `header of ${args.join(' ')}`);
  assert.deepEqual(sorted(ours), sorted(theirs), args.join(' '));
}

test('images: -q, -a -q, --no-trunc, and the hidden intermediates', { skip }, () => {
  assertSameRows(['images', '-q']);
  assertSameRows(['images', '-a', '-q']);
  assertSameRows(['images', '-q', '--no-trunc']);
  assertSameRows(['images', '-a', '-q', '--no-trunc']);
  // intermediates exist, and only -a shows them
  assert.ok(lines(shale(['images', '-a', '-q'])).length > lines(shale(['images', '-q'])).length);
});

test('images: default table columns, --digests, table formats', { skip }, () => {
  assertSameRows(['images', '--format', 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}'], true);
  assertSameRows(['images', '-a', '--format', 'table {{.ID}}\t{{.Tag}}'], true);
  assertSameRows(
    ['images', '--digests', '--format', 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}'],
    true,
  );
  assertSameRows(['images', '--digests', '--format', '{{.Repository}} {{.Digest}} {{.ID}}']);
  assertSameRows(['images', '--format', '{{.Repository}}:{{.Tag}}']);
  assertSameRows(['images', '--format', '{{.ID}} {{.CreatedAt}} {{.Containers}} {{.SharedSize}}']);
  // the default table: same header and the same REPOSITORY/TAG/IMAGE ID cells
  const firstColumns = (text: string) =>
    lines(text)
      .map((l) => l.split(/ {3,}/).slice(0, 3).join(' | '))
      .sort();
  assert.deepEqual(firstColumns(shale(['images'])), firstColumns(docker(['images'])));
  assert.deepEqual(
    firstColumns(shale(['images', '--digests'])),
    firstColumns(docker(['images', '--digests'])),
  );
  const ages = shale(['images', '--format', '{{.CreatedSince}}']);
  for (const age of lines(ages))
    assert.match(age, /^(\d+ seconds|About a minute|\d+ minutes) ago$/);
});

test('images: {{json .}} has docker keys; rows are newest first', { skip }, () => {
  const keys = (text: string) =>
    lines(text).map((l) => Object.keys(JSON.parse(l) as object).join(','));
  assert.deepEqual(
    keys(shale(['images', '--format', '{{json .}}'])),
    keys(docker(['images', '--format', '{{json .}}'])),
  );
  const created = lines(shale(['images', '-a', '--format', '{{.CreatedAt}}']));
  assert.deepEqual(created, [...created].sort().reverse());
});

test('images: filters and the REPO[:TAG] argument', { skip }, () => {
  const row = ['--format', '{{.Repository}}:{{.Tag}} {{.ID}}'];
  for (const filter of [
    'dangling=true',
    'dangling=false',
    'reference=peers/*',
    'reference=*/base',
    'reference=peers/app:lat*',
    'label=tier',
    'label=tier=web',
    'label=org.example.role=app',
    'before=peers/app:1',
    'since=peers/base:1',
    'since=peers/db:1',
  ])
    assertSameRows(['images', '--filter', filter, ...row]);
  assertSameRows(['images', '-a', '--filter', 'since=peers/base:1', ...row]);
  assertSameRows(['images', '--filter', 'label=tier', '--filter', 'reference=peers/db', ...row]);
  assertSameRows(['images', 'peers/app', ...row]);
  assertSameRows(['images', 'example.com/mirror/base:v1', ...row]);
  assert.equal(shale(['images', '-q', '--filter', 'dangling=true']).trim().split('\n').length, 1);
});

test('inspect -f and --type image print what docker image inspect -f prints', { skip }, () => {
  for (const format of [
    '{{.Config.Env}}',
    '{{.Config.Labels}}',
    '{{json .Config.Labels}}',
    '{{.Id}} {{.Parent}} {{.Os}}/{{.Architecture}}',
    '{{index .Config.Labels "tier"}}',
    '{{range .RootFS.Layers}}{{.}} {{end}}',
    '{{if .Config.Labels.tier}}{{.Config.Labels.tier | upper}}{{else}}none{{end}}',
    '{{join .Config.Env ","}} {{len .RootFS.Layers}}',
    '{{json .RootFS}}',
  ]) {
    const refs = ['peers/app:1', 'peers/db:1'];
    assert.equal(
      shale(['inspect', '-f', format, ...refs]),
      docker(['image', 'inspect', '-f', format, ...refs]),
      format,
    );
  }
  assert.equal(
    shale(['inspect', '--type', 'image', '--format', '{{.Id}}', 'peers/app']),
    docker(['inspect', '--type', 'image', '--format', '{{.Id}}', 'peers/app']),
  );
});

test('history: -q, --no-trunc, -H=false and --format', { skip }, () => {
  for (const image of ['peers/app:1', 'peers/base:1']) {
    for (const args of [
      ['-q'],
      ['-q', '--no-trunc'],
      ['--format', 'table {{.ID}}\t{{.CreatedBy}}\t{{.Comment}}'],
      ['--no-trunc', '--format', 'table {{.ID}}\t{{.CreatedBy}}'],
      ['-H=false', '--format', 'table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedAt}}\t{{.Comment}}'],
      ['--human=false', '--format', '{{.ID}} {{.CreatedSince}}'],
      ['--format', '{{.ID}}|{{.CreatedBy}}|{{.Comment}}'],
    ]) {
      const full = ['history', ...args, image];
      assert.equal(shale(full), docker(full), full.join(' '));
    }
    const keys = (text: string) =>
      lines(text).map((l) => Object.keys(JSON.parse(l) as object).join(','));
    assert.deepEqual(
      keys(shale(['history', '--format', '{{json .}}', image])),
      keys(docker(['history', '--format', '{{json .}}', image])),
    );
  }
  // the default table without SIZE: same header and cells
  const withoutSize = (text: string) =>
    lines(text).map((l) =>
      l
        .split(/ {3,}/)
        .filter((_, i) => i !== 3)
        .join(' | '),
    );
  const ours = withoutSize(shale(['history', '-H=false', 'peers/app:1']));
  const theirs = withoutSize(docker(['history', '-H=false', 'peers/app:1']));
  assert.deepEqual(ours, theirs);
});
