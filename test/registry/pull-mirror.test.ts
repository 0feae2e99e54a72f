// Pulls through mirrors, against real Distribution registries on loopback: an origin, and a
// second Distribution in pull-through-cache mode (`proxy.remoteurl`) in front of it, named as
// the origin's mirror in a registries.conf. A pull through the mirror gets the origin's image
// (the store records the origin as each blob's source, the mirror as what served it, and the JSON
// progress says so); a mirror that is down, or (through a fault proxy) serves a corrupted blob,
// is skipped with a warning and the origin serves; with the origin down the mirror serves what it
// cached, and `fsck --repair` and `copy` read through it; Docker's daemon.json
// `registry-mirrors` stand in for Docker Hub. `copy` skips a mirror that is down, or serves a
// corrupted blob, as pull does.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ensureFixture, type Fixture } from '../../support/fixtures/image.ts';
import { DEFAULTS } from '../../support/fixtures/presets.ts';
import type { Digest } from '../../src/core/digest.ts';
import { openStore } from '../../src/store/index.ts';
import { freePort } from '../../support/free-port.ts';
import { startFaultProxy } from '../helpers/fault-proxy.ts';
import { publish } from '../helpers/publish.ts';
import { startRegistry, storedBlobFile, type TestRegistry } from '../helpers/registry.ts';
import { runShaleAsync, type ShaleRun } from '../helpers/shale.ts';

const REPO = 'team/app';
let origin: TestRegistry;
let mirror: TestRegistry;
let work: string;
let fixture: Fixture;
let direct: { id: string; digest: string };

/** registries.conf text naming `mirrors` for the origin, in order. */
function conf(...mirrors: string[]): string {
  const entries = mirrors.map((m) => `\n[[registry.mirror]]\nlocation = "${m}"\n`).join('');
  return `# the origin and its mirrors\n[[registry]]\nprefix = "${origin.host}"\n${entries}`;
}

let stores = 0;
/** `shale pull --progress=json` into a new store, with the given registries.conf text. */
async function pull(
  ref: string,
  config: { conf?: string; daemonJson?: string } = {},
): Promise<ShaleRun & { root: string; events: Record<string, unknown>[] }> {
  const root = path.join(work, `store-${++stores}`);
  const args = ['--root', root];
  if (config.conf !== undefined) {
    fs.writeFileSync(path.join(work, `conf-${stores}`), config.conf);
    args.push('--registries-conf', path.join(work, `conf-${stores}`));
  }
  if (config.daemonJson !== undefined) {
    fs.writeFileSync(path.join(work, `daemon-${stores}.json`), config.daemonJson);
    args.push('--docker-daemon-json', path.join(work, `daemon-${stores}.json`));
  }
  const run = await runShaleAsync([...args, 'pull', '--progress=json', ref], {
    env: { XDG_CONFIG_HOME: path.join(work, 'no-config') },
  });
  const events = run.stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { ...run, root, events };
}

/** The endpoint each layer blob was reported `downloaded` from. */
function servedBy(events: Record<string, unknown>[]): Map<string, string> {
  return new Map(
    events
      .filter((e) => e.type === 'layer' && e.status === 'downloaded')
      .map((e) => [e.digest as string, e.endpoint as string]),
  );
}

function layerDigests(): Digest[] {
  return fixture.layers.map((l) => l.blobDigest as Digest);
}

/** Every layer blob stored under `root` hashes to its digest. */
async function assertStoredBlobsIntact(root: string): Promise<void> {
  const store = await openStore(root);
  for (const digest of layerDigests()) {
    const file = store.content.blobPath(digest);
    const hex = createHash('sha256').update(fs.readFileSync(file)).digest('hex');
    assert.equal(`sha256:${hex}`, digest);
  }
}

before(async () => {
  work = fs.mkdtempSync(path.join(tmpdir(), 'shale-mirror-'));
  fixture = await ensureFixture({
    dir: path.join(work, 'image'),
    name: 'mirrored',
    params: { ...DEFAULTS, layers: 3, files: 6, bytes: 8 << 20, randomFraction: 1 },
    log: () => undefined,
  });
  origin = await startRegistry();
  await publish(path.join(fixture.dir, 'oci'), 'mirrored', `${origin.host}/${REPO}:v1`, 'v2s2');
  await publish(path.join(fixture.dir, 'oci'), 'mirrored', `${origin.host}/library/app:v1`, 'v2s2');
  mirror = await startRegistry({ proxyOf: `http://${origin.host}` });
  const plain = await pull(`${origin.host}/${REPO}:v1`);
  assert.equal(plain.status, 0, plain.stderr);
  const done = plain.events.find((e) => e.type === 'done')!;
  direct = { id: plain.stdout.trim(), digest: done.digest as string };
});

after(async () => {
  await mirror?.stop();
  await origin?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

test('a pull through a pull-through cache gets the origin image, served by the mirror', async () => {
  const run = await pull(`${origin.host}/${REPO}:v1`, { conf: conf(mirror.host) });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout.trim(), direct.id);
  assert.equal(run.events.find((e) => e.type === 'done')!.digest, direct.digest);
  assert.doesNotMatch(run.stderr, /warning/);
  const served = servedBy(run.events);
  for (const digest of layerDigests()) assert.equal(served.get(digest), `${mirror.host}/${REPO}`);
  // The mirror really cached them (Distribution's proxy stores what it forwards).
  for (const digest of layerDigests()) {
    const data = storedBlobFile(mirror, digest);
    assert.ok(fs.existsSync(data), `${digest} cached by the mirror`);
  }
  // The origin stays the source of truth (mounts, fsck refetch); the mirror is what served it.
  const store = await openStore(run.root);
  for (const digest of layerDigests()) {
    const info = await store.layers.blobInfo(digest);
    assert.deepEqual(info?.sources, [`${origin.host}/${REPO}`]);
    assert.equal(info?.servedBy, `${mirror.host}/${REPO}`);
  }
  await assertStoredBlobsIntact(run.root);
});

test('a mirror that is down is skipped with a warning and the origin serves', async () => {
  const down = `127.0.0.1:${await freePort()}`;
  const run = await pull(`${origin.host}/${REPO}:v1`, { conf: conf(down) });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout.trim(), direct.id);
  const warnings = run.stderr.split('\n').filter((l) => l.startsWith('shale: warning: mirror'));
  assert.equal(warnings.length, 1, `one warning, then the mirror is left alone:\n${run.stderr}`);
  assert.match(warnings[0]!, new RegExp(`mirror ${down} failed to serve tag v1`));
  for (const endpoint of servedBy(run.events).values())
    assert.equal(endpoint, `${origin.host}/${REPO}`);

  // A copy from the same reference reads through the same mirrors, and skips this one alike.
  const confFile = path.join(work, 'conf-copy-down');
  fs.writeFileSync(confFile, conf(down));
  const layout = path.join(work, 'copied-past-down-mirror');
  const copied = await copyToLayout(confFile, layout);
  assert.equal(copied.status, 0, copied.stderr);
  assert.equal(copied.stdout, `oci:${layout}:v1@${direct.digest}\n`);
  const copyWarnings = copied.stderr.split('\n').filter((l) => l.startsWith('shale: warning:'));
  assert.equal(copyWarnings.length, 1, copied.stderr);
  assert.match(copyWarnings[0]!, new RegExp(`mirror ${down} failed to serve tag v1`));
});

/** `shale copy docker://ORIGIN/REPO:v1 oci:LAYOUT:v1` with the registries.conf `confFile`. */
function copyToLayout(confFile: string, layout: string): Promise<ShaleRun> {
  return runShaleAsync(
    [
      '--registries-conf',
      confFile,
      'copy',
      '-q',
      `docker://${origin.host}/${REPO}:v1`,
      `oci:${layout}:v1`,
    ],
    { env: { XDG_CONFIG_HOME: path.join(work, 'no-config') } },
  );
}

test('a mirror serving a corrupted blob is refused; the origin serves it and the store is right', async () => {
  const faulty = await startFaultProxy(mirror.host);
  try {
    const bad = layerDigests()[1]!;
    /** The mirror corrupts the next GET of `blob`. */
    const corruptNextGet = (blob: string) =>
      faulty.addRule({
        method: 'GET',
        path: new RegExp(`/blobs/${blob}$`),
        times: 1,
        fault: { kind: 'corrupt' },
      });
    /** Bytes of the damaged blob the mirror served so far. */
    const servedOfBad = () => faulty.bytesServed.get(`/v2/${REPO}/blobs/${bad}`) ?? 0;
    corruptNextGet(bad);
    const run = await pull(`${origin.host}/${REPO}:v1`, { conf: conf(faulty.host) });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout.trim(), direct.id);
    assert.ok(servedOfBad() > 0, 'the corrupted blob was served');
    assert.match(
      run.stderr,
      new RegExp(
        `shale: warning: mirror ${faulty.host} failed to serve blob ${bad} \\(.*hashes to`,
      ),
    );
    const served = servedBy(run.events);
    assert.equal(served.get(bad), `${origin.host}/${REPO}`);
    for (const digest of layerDigests().filter((d) => d !== bad))
      assert.equal(served.get(digest), `${faulty.host}/${REPO}`);
    await assertStoredBlobsIntact(run.root);
    const fsck = await runShaleAsync(['--root', run.root, 'fsck']);
    assert.equal(fsck.status, 0, fsck.stdout + fsck.stderr);

    // A copy through the same mirror, damaging the same blob once more: the blob is read again
    // from the origin, and the layout holds the source's bytes under the source's digest.
    corruptNextGet(bad);
    const servedBefore = servedOfBad();
    const confFile = path.join(work, 'conf-copy-corrupt');
    fs.writeFileSync(confFile, conf(faulty.host));
    const layout = path.join(work, 'copied-past-corruption');
    const copied = await copyToLayout(confFile, layout);
    assert.equal(copied.status, 0, copied.stderr);
    assert.equal(copied.stdout, `oci:${layout}:v1@${direct.digest}\n`);
    assert.ok(servedOfBad() > servedBefore, 'the copy was served the corrupted blob');
    assert.match(
      copied.stderr,
      new RegExp(
        `shale: warning: mirror ${faulty.host} failed to serve blob ${bad} \\(.*hashes to`,
      ),
    );
    for (const digest of layerDigests()) {
      const file = path.join(layout, 'blobs', 'sha256', digest.slice('sha256:'.length));
      assert.equal(
        `sha256:${createHash('sha256').update(fs.readFileSync(file)).digest('hex')}`,
        digest,
      );
    }

    // Into a registry in resumable chunks (read by Range GETs), damaged once more: the registry
    // refuses the blob at its last PUT, and the chunks are read again from the origin.
    const target = await startRegistry();
    try {
      corruptNextGet(bad);
      const before = servedOfBad();
      const chunked = await runShaleAsync(
        [
          '--root',
          path.join(work, 'store-chunked-copy'),
          '--registries-conf',
          confFile,
          'copy',
          '-q',
          '--chunk-size',
          '1MiB',
          `docker://${origin.host}/${REPO}:v1`,
          `docker://${target.host}/${REPO}:v1`,
        ],
        { env: { XDG_CONFIG_HOME: path.join(work, 'no-config') } },
      );
      assert.equal(chunked.status, 0, chunked.stderr);
      assert.equal(chunked.stdout, `${target.host}/${REPO}:v1@${direct.digest}\n`);
      assert.ok(servedOfBad() > before);
      assert.match(
        chunked.stderr,
        new RegExp(
          `shale: warning: mirror ${faulty.host} failed to serve blob ${bad} \\(.*refused blob`,
        ),
      );
      const pulled = await pull(`${target.host}/${REPO}:v1`);
      assert.equal(pulled.status, 0, pulled.stderr);
      assert.equal(pulled.stdout.trim(), direct.id);
    } finally {
      await target.stop();
    }
  } finally {
    await faulty.stop();
  }
});

test("Docker's registry-mirrors serve Docker Hub references", async () => {
  // docker.io/library/app is never reached here: the mirror (of the origin, which holds
  // library/app) answers the tag and every blob.
  const daemonJson = JSON.stringify({ 'registry-mirrors': [`http://${mirror.host}`] });
  const run = await pull('app:v1', { daemonJson });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout.trim(), direct.id);
  for (const endpoint of servedBy(run.events).values())
    assert.equal(endpoint, `${mirror.host}/library/app`);
});

test('with the origin down, the mirror serves what it cached; fsck --repair fetches a lost blob through it, and copy reads through it', async () => {
  await origin.stop();
  const run = await pull(`${origin.host}/${REPO}:v1`, { conf: conf(mirror.host) });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout.trim(), direct.id);
  assert.equal(run.events.find((e) => e.type === 'done')!.digest, direct.digest);
  await assertStoredBlobsIntact(run.root);

  // A layer blob lost from the store: its recorded source is the origin, which is down.
  const lost = layerDigests()[0]!;
  fs.rmSync((await openStore(run.root)).content.blobPath(lost));
  const confFile = path.join(work, 'conf-repair');
  fs.writeFileSync(confFile, conf(mirror.host));
  const repair = await runShaleAsync(
    ['--root', run.root, '--registries-conf', confFile, 'fsck', '--repair'],
    { env: { XDG_CONFIG_HOME: path.join(work, 'no-config') } },
  );
  assert.equal(repair.status, 0, repair.stderr);
  assert.match(repair.stdout + repair.stderr, /0 not fixed/);
  await assertStoredBlobsIntact(run.root);

  // copy reads through the mirror too: the origin being down does not stop it.
  const layout = path.join(work, 'copied-through-mirror');
  const copied = await copyToLayout(confFile, layout);
  assert.equal(copied.status, 0, copied.stderr);
  assert.equal(copied.stdout, `oci:${layout}:v1@${direct.digest}\n`);
  assert.doesNotMatch(copied.stderr, /warning/);
});
