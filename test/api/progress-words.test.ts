// Progress in dockerd's words: the same pulls, pushes, loads and imports against `shale serve`
// and a private dockerd 20.10, from the same test registry, through raw Engine API requests; the
// status words each layer goes through, in order, and the lines that name no layer, must be the
// same on both sides (not timings or byte counts: runs of one word, as `Downloading` with its
// counts, count once). Documented differences, each with its reason, are applied to dockerd's
// side by `expected` below.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ensureFixture } from '../../support/fixtures/image.ts';
import { DEFAULTS } from '../../support/fixtures/presets.ts';
import {
  dockerUnavailable,
  startDockerDaemon,
  type DockerDaemon,
} from '../helpers/docker-daemon.ts';
import { publish } from '../helpers/publish.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { apiRequest, startServe, type ServedShale } from '../helpers/serve.ts';
import { buildSmallFixture } from '../helpers/small-fixture.ts';

const run = promisify(execFile);
const skip = dockerUnavailable();

let work: string;
let registry: TestRegistry;
let daemon: DockerDaemon;
let served: ServedShale;
/** An OCI layout holding `small` (3 layers) and `plus` (small's layers and one more). */
let layout: string;
/** A docker-archive of an image neither side holds any layer of. */
let archive: string;

interface Message {
  status?: string;
  stream?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
  aux?: unknown;
}

/** The two sides, each by its socket. */
type Side = 'shale' | 'dockerd';
const socketOf = (side: Side): string =>
  side === 'shale' ? served.socket : daemon.env.DOCKER_HOST!.slice('unix://'.length);

/** One API request; its streamed JSON messages (the answer must be a 200 without an error). */
async function messages(
  side: Side,
  urlPath: string,
  options: { headers?: Record<string, string>; body?: Buffer } = {},
): Promise<Message[]> {
  const answer = await apiRequest(socketOf(side), urlPath, { method: 'POST', ...options });
  const text = answer.body.toString('utf8');
  assert.equal(answer.status, 200, `${side} ${urlPath}: ${text}`);
  const parsed = text
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Message);
  assert.ok(!parsed.some((m) => m.error !== undefined), `${side} ${urlPath}: ${text}`);
  return parsed;
}

/** Per layer ID, the words it went through (a run of one word counted once). */
function layerWords(stream: Message[]): Map<string, string[]> {
  const words = new Map<string, string[]>();
  for (const m of stream) {
    if (m.id === undefined || m.progressDetail === undefined || m.status === undefined) continue;
    const seen = words.get(m.id) ?? [];
    if (seen.at(-1) !== m.status) seen.push(m.status);
    words.set(m.id, seen);
  }
  return words;
}

/** The messages that are no layer's: `Pulling from`, `Digest:`, `Status:`, streams, aux. */
function otherLines(stream: Message[]): string[] {
  return stream
    .filter((m) => m.progressDetail === undefined || m.aux !== undefined)
    .map((m) =>
      m.aux !== undefined
        ? `aux ${Object.keys(m.aux as object).join(',')}`
        : `${m.id ?? ''} ${m.status ?? ''}${m.stream ?? ''}`.trim(),
    );
}

/**
 * dockerd's words for a layer with its documented differences applied: dockerd extracts each
 * layer after its download (`Extracting`); shale keeps the blob as it came (as containerd's
 * content store does) and registers the layer without extracting it, so it has no such step.
 * A push mounts a blob from a repository it was pulled from: dockerd picks the one pulled last,
 * shale the first by name, so which repository is left out (`mountedFrom` checks shale's).
 */
function theirWords(list: string[]): string[] {
  const kept = list
    .filter((word) => word !== 'Extracting')
    .map((word) => word.replace(/^Mounted from .*/, 'Mounted from …'));
  return kept.filter((word, i) => word !== kept[i - 1]);
}

function isSubsequence(part: string[], whole: string[]): boolean {
  let at = 0;
  for (const word of whole) if (word === part[at]) at++;
  return at === part.length;
}

/**
 * The words dockerd 20.10 gives a layer (moby distribution/xfer/download.go and upload.go,
 * pull_v2.go, push_v2.go, image/tarexport/load.go), after theirWords.
 */
const DOCKERD_WORDS = new Set([
  'Already exists',
  'Pulling fs layer',
  'Waiting',
  'Downloading',
  'Verifying Checksum',
  'Download complete',
  'Pull complete',
  'Preparing',
  'Pushing',
  'Pushed',
  'Layer already exists',
  'Mounted from …',
  'Loading layer',
]);

/** Every `a>b` seen so far: dockerd said word `a` before word `b` for one layer. */
const dockerdOrder = new Set<string>();

/**
 * Our words for each layer against dockerd's. dockerd's transfer watcher writes only the latest
 * of the updates that came while it was busy (moby distribution/xfer/transfer.go), so on a fast
 * transfer it skips some (`Downloading`, `Verifying Checksum`) at random. So: the same layers;
 * for each, every word dockerd said, in its order, among ours; ours all dockerd's words, in an
 * order dockerd never contradicted for any layer in this file.
 */
function assertSameWords(ours: Message[], theirs: Message[], context: string): void {
  const mine = new Map([...layerWords(ours)].map(([id, list]) => [id, theirWords(list)]));
  const their = new Map([...layerWords(theirs)].map(([id, list]) => [id, theirWords(list)]));
  assert.deepEqual([...mine.keys()].sort(), [...their.keys()].sort(), `layers${context}`);
  for (const list of their.values())
    for (const [i, a] of list.entries())
      for (const b of list.slice(i + 1)) dockerdOrder.add(`${a}>${b}`);
  for (const [id, words] of mine) {
    const at = `${id}: ours ${words.join(' > ')}; dockerd's ${their.get(id)!.join(' > ')}${context}`;
    assert.ok(isSubsequence(their.get(id)!, words), `dockerd's words among ours, ${at}`);
    for (const word of words) assert.ok(DOCKERD_WORDS.has(word), `"${word}" is dockerd's, ${at}`);
    for (const [i, a] of words.entries())
      for (const b of words.slice(i + 1))
        assert.ok(a === b || !dockerdOrder.has(`${b}>${a}`), `${a} before ${b}, ${at}`);
  }
}

/** The same request on both sides; their layer words must agree (assertSameWords). */
async function same(
  urlPath: (side: Side) => string,
  options: { headers?: Record<string, string>; body?: Buffer } = {},
): Promise<{ ours: Message[]; theirs: Message[] }> {
  const theirs = await messages('dockerd', urlPath('dockerd'), options);
  const ours = await messages('shale', urlPath('shale'), options);
  const show = (stream: Message[]) => stream.map((m) => JSON.stringify(m)).join('\n');
  assertSameWords(ours, theirs, `\nshale:\n${show(ours)}\ndockerd:\n${show(theirs)}`);
  return { ours, theirs };
}

const pull = (ref: string, tag: string) => () =>
  `/images/create?fromImage=${encodeURIComponent(`${registry.host}/${ref}`)}&tag=${tag}`;

/** A plain tar holding one file that says `what`, to import. */
function importTar(what: string): Buffer {
  const tree = path.join(work, `tree-${what}`);
  fs.mkdirSync(path.join(tree, 'etc'), { recursive: true });
  fs.writeFileSync(path.join(tree, 'etc', what), `${what}\n`);
  return execFileSync('tar', ['-c', '-C', tree, 'etc']);
}

/** A registry auth header with no credentials (dockerd wants one on a push). */
const NO_AUTH = { 'x-registry-auth': Buffer.from('{}').toString('base64url') };

before(async () => {
  if (skip) return;
  work = fs.mkdtempSync(path.join(tmpdir(), 'shale-progress-words-'));
  const small = path.join(work, 'small');
  await buildSmallFixture(small);
  layout = path.join(work, 'layout');
  fs.cpSync(path.join(small, 'oci'), layout, { recursive: true });
  // `plus`: small with one more layer on top
  const extra = path.join(work, 'extra');
  fs.mkdirSync(path.join(extra, 'etc'), { recursive: true });
  fs.writeFileSync(path.join(extra, 'etc', 'plus'), 'one more layer\n');
  execFileSync('tar', ['-cf', path.join(work, 'extra.tar'), '-C', extra, 'etc']);
  execFileSync('umoci', [
    'raw',
    'add-layer',
    '--image',
    `${layout}:small`,
    '--tag',
    'plus',
    path.join(work, 'extra.tar'),
  ]);
  const other = path.join(work, 'other');
  await ensureFixture({
    dir: other,
    name: 'other',
    params: { ...DEFAULTS, layers: 2, files: 12, bytes: 256 << 10, seed: 11 },
    log: () => undefined,
  });
  archive = path.join(work, 'other.tar');
  await run('skopeo', [
    'copy',
    '--quiet',
    `oci:${path.join(other, 'oci')}:other`,
    `docker-archive:${archive}:archived/other:v1`,
  ]);
  registry = await startRegistry();
  await publish(layout, 'small', `${registry.host}/peers/small:v1`, 'v2s2');
  await publish(layout, 'small', `${registry.host}/peers/small:v2`, 'v2s2');
  await publish(layout, 'plus', `${registry.host}/peers/plus:v1`, 'v2s2');
  daemon = await startDockerDaemon();
  served = await startServe(path.join(work, 'root'));
});

after(async () => {
  if (served) assert.equal(await served.stop(), 0, served.stderr());
  await daemon?.stop();
  await registry?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

test(
  'a pull of a new image: each layer from Pulling fs layer to Pull complete',
  { skip },
  async () => {
    const { ours, theirs } = await same(pull('peers/small', 'v1'));
    assert.deepEqual(otherLines(ours), otherLines(theirs));
    assert.equal(layerWords(ours).size, 3);
    assert.match(otherLines(ours).at(-1)!, /^Status: Downloaded newer image for /);
  },
);

test('the same pull again: no layer lines, the image is up to date', { skip }, async () => {
  const { ours, theirs } = await same(pull('peers/small', 'v1'));
  assert.deepEqual(otherLines(ours), otherLines(theirs));
  assert.equal(layerWords(ours).size, 0);
  assert.match(otherLines(ours).at(-1)!, /^Status: Image is up to date for /);
});

test(
  'an image already held, under a new tag: no layer lines, a newer image',
  { skip },
  async () => {
    const { ours, theirs } = await same(pull('peers/small', 'v2'));
    assert.deepEqual(otherLines(ours), otherLines(theirs));
    assert.equal(layerWords(ours).size, 0);
    assert.match(otherLines(ours).at(-1)!, /^Status: Downloaded newer image for /);
  },
);

test('an image on top of held layers: Already exists for those', { skip }, async () => {
  const { ours, theirs } = await same(pull('peers/plus', 'v1'));
  assert.deepEqual(otherLines(ours), otherLines(theirs));
  const words = [...layerWords(ours).values()].map((list) => list.join(' > '));
  assert.deepEqual(words.slice(0, 3), ['Already exists', 'Already exists', 'Already exists']);
});

test('a push: Preparing, then Mounted from, Layer already exists, Pushed', { skip }, async () => {
  const target = (side: Side, repo: string) => `${registry.host}/from-${side}/${repo}`;
  const tag = async (side: Side, source: string, repo: string) => {
    const answer = await apiRequest(
      socketOf(side),
      `/images/${encodeURIComponent(source)}/tag?repo=${encodeURIComponent(target(side, repo))}&tag=v1`,
      { method: 'POST' },
    );
    assert.equal(answer.status, 201, answer.body.toString());
  };
  const push = (repo: string) => (side: Side) =>
    `/images/${encodeURIComponent(target(side, repo))}/push?tag=v1`;
  for (const side of ['shale', 'dockerd'] as const)
    await tag(side, `${registry.host}/peers/plus:v1`, 'plus');
  // the layers came from peers/plus on this registry: mounted from there
  const first = await same(push('plus'), { headers: NO_AUTH });
  for (const words of layerWords(first.ours).values())
    assert.match(words.join(' > '), /^Preparing > Mounted from peers\/(small|plus)$/);
  // pushed again: every layer is there already
  const again = await same(push('plus'), { headers: NO_AUTH });
  for (const words of layerWords(again.ours).values())
    assert.deepEqual(words, ['Preparing', 'Layer already exists']);
  // an imported layer the registry has never seen: uploaded
  const tar = importTar('pushed');
  for (const side of ['shale', 'dockerd'] as const) {
    const imported = await messages(side, '/images/create?fromSrc=-&repo=imported&tag=v1', {
      body: tar,
    });
    await tag(side, imported.at(-1)!.status!, 'imported');
  }
  const uploaded = await same(push('imported'), { headers: NO_AUTH });
  for (const words of layerWords(uploaded.ours).values())
    assert.deepEqual(words, ['Preparing', 'Pushing', 'Pushed']);
  // The closing `TAG: digest: … size: N` names the manifest pushed: dockerd writes one of its
  // own, shale sends the one the image was pulled with, byte for byte (so its digest is kept)
  const masked = (stream: Message[], side: Side) =>
    otherLines(stream).map((line) =>
      line.replace(`from-${side}`, 'from-…').replace(/digest: \S+ size: \d+/, 'digest: … size: …'),
    );
  for (const { ours, theirs } of [first, again, uploaded])
    assert.deepEqual(masked(ours, 'shale'), masked(theirs, 'dockerd'));
  const pulled = await messages('shale', pull('peers/plus', 'v1')());
  const digest = pulled.find((m) => m.status?.startsWith('Digest: '))!.status!.slice(8);
  assert.match(
    otherLines(first.ours).join('\n'),
    new RegExp(`^v1: digest: ${digest} size: \\d+$`, 'm'),
  );
});

test('an import: one status message, the image ID', { skip }, async () => {
  const tar = importTar('imported');
  const stream = (side: Side) =>
    messages(side, '/images/create?fromSrc=-&repo=imported&tag=v2', { body: tar });
  const [ours, theirs] = [await stream('shale'), await stream('dockerd')];
  const shape = (m: Message[]) => m.map((x) => Object.keys(x).join(','));
  assert.deepEqual(shape(ours), shape(theirs));
  assert.match(ours[0]!.status!, /^sha256:[0-9a-f]{64}$/);
});

test('a load: Loading layer for each new layer, then Loaded image', { skip }, async () => {
  const body = fs.readFileSync(archive);
  const load = (quiet: string) => () => `/images/load?quiet=${quiet}`;
  const { ours, theirs } = await same(load('0'), { body });
  assert.deepEqual(otherLines(ours), otherLines(theirs));
  assert.equal(layerWords(ours).size, 2);
  // loaded again, or quietly: no layer lines
  const quiet = await same(load('1'), { body });
  assert.deepEqual(otherLines(quiet.ours), otherLines(quiet.theirs));
  assert.equal(layerWords(quiet.ours).size, 0);
  assert.deepEqual(otherLines(quiet.ours), ['Loaded image: archived/other:v1']);
});
