// `copyImage` (src/formats/copy) against real Distribution registries and skopeo: registry to
// registry keeps every digest (a single manifest, a two-platform index whole and one platform of
// it), within one registry the blobs are mounted (the registry's own log shows no upload), a
// destination that has every blob receives none, registry → OCI layout → registry round-trips
// (skopeo reads the layout), copies into one layout at once (in this process and another) keep
// every name, and a source serving a blob whose bytes do not match its digest ends the copy with
// ERR_DIGEST_MISMATCH and nothing named at the destination.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { isShaleError } from '../../src/core/index.ts';
import { copyImage } from '../../src/formats/index.ts';
import { RegistryClient } from '../../src/registry/index.ts';
import {
  smallImage,
  startHostileRegistry,
  type HostileRegistry,
} from '../helpers/hostile-registry.ts';
import { publish } from '../helpers/publish.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { rawDigest, skopeoRaw } from '../helpers/skopeo-inspect.ts';
import { runShaleAsync } from '../helpers/shale.ts';
import { buildSmallFixture } from '../helpers/small-fixture.ts';

const run = promisify(execFile);

let origin: TestRegistry;
let target: TestRegistry;
let hostile: HostileRegistry;
let client: RegistryClient;
let work: string;
let layout: string;

before(async () => {
  work = fs.mkdtempSync(path.join(tmpdir(), 'shale-copy-'));
  await buildSmallFixture(path.join(work, 'small'));
  layout = path.join(work, 'small', 'oci');
  [origin, target, hostile] = await Promise.all([
    startRegistry(),
    startRegistry(),
    startHostileRegistry(),
  ]);
  client = new RegistryClient();
});

after(async () => {
  await client?.close();
  await Promise.all([origin?.stop(), target?.stop(), hostile?.stop()]);
  fs.rmSync(work, { recursive: true, force: true });
});

const sha256 = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** The blobs (config and layers) of the image manifest skopeo reads for `transportRef`. */
async function blobCount(transportRef: string): Promise<number> {
  const manifest = JSON.parse((await skopeoRaw(transportRef)).toString('utf8')) as {
    layers: unknown[];
  };
  return manifest.layers.length + 1;
}

/** Requests the registry's log shows completed since `mark`: `uri` (a pattern) answered `status`. */
function completedSince(registry: TestRegistry, mark: number, uri: RegExp, status: number): number {
  const text = fs.readFileSync(registry.logFile).subarray(mark).toString('utf8');
  return text
    .split('\n')
    .filter(
      (line) =>
        line.includes('msg="response completed"') &&
        /\bhttp\.request\.method=POST\b/.test(line) &&
        uri.test(line) &&
        new RegExp(`\\bhttp\\.response\\.status=${status}\\b`).test(line),
    ).length;
}

/** Blob upload sessions opened (202) since `mark`, and blobs mounted (a `?mount=` POST, 201). */
const uploadsSince = (registry: TestRegistry, mark: number) =>
  completedSince(registry, mark, /\bhttp\.request\.uri="\/v2\/[^"]*\/blobs\/uploads\//, 202);
const mountsSince = (registry: TestRegistry, mark: number) =>
  completedSince(
    registry,
    mark,
    /\bhttp\.request\.uri="\/v2\/[^"]*\/blobs\/uploads\/\?mount=/,
    201,
  );

const logMark = (registry: TestRegistry) => fs.statSync(registry.logFile).size;

/**
 * A two-platform OCI index on `origin` under `repo:both`: the small image as OCI (amd64) and as
 * Docker schema2 (arm64) — two manifests, one set of blobs.
 */
async function publishIndex(repo: string): Promise<{ index: string; children: string[] }> {
  const host = origin.host;
  await publish(layout, 'small', `${host}/${repo}:oci`, 'oci');
  await publish(layout, 'small', `${host}/${repo}:docker`, 'v2s2');
  const entry = async (tag: string, architecture: string) => {
    const bytes = await skopeoRaw(`docker://${host}/${repo}:${tag}`);
    const { mediaType } = JSON.parse(bytes.toString('utf8')) as { mediaType: string };
    return {
      mediaType,
      digest: sha256(bytes),
      size: bytes.length,
      platform: { os: 'linux', architecture },
    };
  };
  const manifests = [await entry('oci', 'amd64'), await entry('docker', 'arm64')];
  const body = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests,
  });
  const put = await fetch(`http://${host}/v2/${repo}/manifests/both`, {
    method: 'PUT',
    headers: { 'content-type': 'application/vnd.oci.image.index.v1+json' },
    body,
  });
  assert.equal(put.status, 201);
  return { index: sha256(Buffer.from(body)), children: manifests.map((m) => m.digest) };
}

test('registry to registry: a manifest, a whole index and one platform of it keep their digests', async () => {
  const { index, children } = await publishIndex('multi/app');
  const source = `docker://${origin.host}/multi/app`;

  const single = await copyImage(`${source}:oci`, `docker://${target.host}/one/app:v1`, { client });
  assert.equal(single.digest, await rawDigest(`${source}:oci`));
  assert.equal(await rawDigest(`docker://${target.host}/one/app:v1`), single.digest);
  assert.equal(single.destination, `${target.host}/one/app:v1`);
  const blobs = await blobCount(`${source}:oci`);
  assert.deepEqual(single.blobs, { copied: blobs, mounted: 0, existed: 0 });

  const whole = await copyImage(`${source}:both`, `docker://${target.host}/all/app:v1`, { client });
  assert.equal(whole.digest, index);
  assert.equal(await rawDigest(`docker://${target.host}/all/app:v1`), index);
  for (const child of children) {
    assert.equal(await rawDigest(`docker://${target.host}/all/app@${child}`), child);
  }

  const arm = await copyImage(`${source}:both`, `docker://${target.host}/arm/app:v1`, {
    client,
    platform: { os: 'linux', architecture: 'arm64' },
  });
  assert.equal(arm.digest, children[1], 'the platform manifest is the top');
  assert.equal(await rawDigest(`docker://${target.host}/arm/app:v1`), children[1]);
  const other = await fetch(`http://${target.host}/v2/arm/app/manifests/${children[0]}`, {
    method: 'HEAD',
  });
  assert.equal(other.status, 404, 'the other platform is not copied');
});

test('within one registry the blobs are mounted; a destination with every blob receives none', async () => {
  await publish(layout, 'small', `${origin.host}/mount/src:v1`, 'oci');
  const digest = await rawDigest(`docker://${origin.host}/mount/src:v1`);
  const blobs = await blobCount(`docker://${origin.host}/mount/src:v1`);
  let mark = logMark(origin);
  const mounted = await copyImage(
    `docker://${origin.host}/mount/src:v1`,
    `docker://${origin.host}/mount/dst:v1`,
    { client },
  );
  assert.deepEqual(mounted.blobs, { copied: 0, mounted: blobs, existed: 0 });
  assert.equal(uploadsSince(origin, mark), 0, 'no upload session was opened');
  assert.equal(mountsSince(origin, mark), blobs, 'the registry mounted each blob');
  assert.equal(await rawDigest(`docker://${origin.host}/mount/dst:v1`), digest);

  // Again, under another tag: every blob is there already.
  mark = logMark(origin);
  const again = await copyImage(
    `docker://${origin.host}/mount/src:v1`,
    `docker://${origin.host}/mount/dst:v2`,
    { client },
  );
  assert.deepEqual(again.blobs, { copied: 0, mounted: 0, existed: blobs });
  assert.equal(uploadsSince(origin, mark) + mountsSince(origin, mark), 0);
  assert.equal(await rawDigest(`docker://${origin.host}/mount/dst:v2`), digest);
});

test('registry → OCI layout → registry: skopeo reads the layout, digests survive the round trip', async () => {
  const { index, children } = await publishIndex('trip/app');
  const dir = path.join(work, 'trip-layout');
  const toLayout = await copyImage(`docker://${origin.host}/trip/app:both`, `oci:${dir}:both`, {
    client,
  });
  assert.equal(toLayout.digest, index);
  assert.equal(toLayout.destination, `oci:${dir}:both`);
  assert.equal(await rawDigest(`oci:${dir}:both`), index);
  const { stdout } = await run('skopeo', ['inspect', `oci:${dir}:both`]);
  assert.equal(
    (JSON.parse(stdout) as { Os: string }).Os,
    'linux',
    'skopeo reads an image through it',
  );
  // A second image into the same layout under another name keeps the first entry (skopeo finds
  // only OCI-typed entries: the OCI child, then).
  await copyImage(`docker://${origin.host}/trip/app:oci`, `oci:${dir}:single`, { client });
  assert.equal(await rawDigest(`oci:${dir}:single`), children[0]);
  assert.equal(await rawDigest(`oci:${dir}:both`), index);
  assert.deepEqual(
    fs.readdirSync(dir).sort(),
    ['blobs', 'index.json', 'oci-layout'],
    'no temporary file is left',
  );

  const back = await copyImage(`oci:${dir}:both`, `docker://${target.host}/trip/back:v1`, {
    client,
  });
  assert.equal(back.digest, index);
  assert.equal(await rawDigest(`docker://${target.host}/trip/back:v1`), index);
  for (const child of children)
    assert.equal(await rawDigest(`docker://${target.host}/trip/back@${child}`), child);
});

test('copies into one layout at the same moment keep every name: index.json changes one at a time', async () => {
  const source = `oci:${layout}:small`;
  const dir = path.join(work, 'shared-layout');
  const names = Array.from({ length: 8 }, (_, i) => `name-${i}`);
  // In one process, and in another at the same time (the lock is a file, not a mutex).
  const other = runShaleAsync(['copy', '-q', source, `oci:${dir}:other`]);
  const copies = await Promise.all(names.map((n) => copyImage(source, `oci:${dir}:${n}`)));
  assert.equal((await other).status, 0, (await other).stderr);
  const index = JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8')) as {
    manifests: { digest: string; annotations?: Record<string, string> }[];
  };
  const listed = index.manifests.map((m) => m.annotations?.['org.opencontainers.image.ref.name']);
  assert.deepEqual(listed.sort(), [...names, 'other'].sort());
  for (const m of index.manifests) assert.equal(m.digest, copies[0]!.digest);
  assert.deepEqual(
    fs.readdirSync(dir).sort(),
    ['blobs', 'index.json', 'oci-layout'],
    'no lock or temporary file is left',
  );
});

test('a source blob whose bytes do not match its digest: ERR_DIGEST_MISMATCH, nothing named at the destination', async () => {
  const image = await smallImage(hostile, 'bad', { bytes: 300 << 10 });
  const damaged = Buffer.from(image.layer);
  damaged[damaged.length - 10]! ^= 0xff;
  hostile.misbehave((req, res, route) => {
    if (route.kind !== 'blob' || route.reference !== image.layerDigest) return false;
    res
      .writeHead(200, { 'content-length': damaged.length })
      .end(req.method === 'HEAD' ? undefined : damaged);
    return true;
  });
  try {
    const source = `docker://${hostile.host}/hostile/app:bad`;
    await assert.rejects(
      copyImage(source, `docker://${target.host}/hostile/copy:v1`, { client }),
      (err: unknown) =>
        isShaleError(err) &&
        err.code === 'ERR_DIGEST_MISMATCH' &&
        err.message.includes(image.layerDigest),
    );
    const tagged = await fetch(`http://${target.host}/v2/hostile/copy/manifests/v1`, {
      method: 'HEAD',
    });
    assert.equal(tagged.status, 404, 'no manifest under the tag');
    const blob = await fetch(`http://${target.host}/v2/hostile/copy/blobs/${image.layerDigest}`, {
      method: 'HEAD',
    });
    assert.equal(blob.status, 404, 'the damaged blob was not committed');

    const dir = path.join(work, 'hostile-layout');
    await assert.rejects(
      copyImage(source, `oci:${dir}:bad`, { client }),
      (err: unknown) => isShaleError(err) && err.code === 'ERR_DIGEST_MISMATCH',
    );
    assert.equal(fs.existsSync(path.join(dir, 'index.json')), false, 'no index entry');
    const hex = image.layerDigest.slice('sha256:'.length);
    assert.equal(fs.existsSync(path.join(dir, 'blobs', 'sha256', hex)), false);
    assert.deepEqual(
      fs.readdirSync(dir).filter((name) => name.startsWith('.')),
      [],
      'no temporary file is left',
    );
  } finally {
    hostile.misbehave(undefined);
  }
});
