// `copyImage` with attached artifacts, against real Distribution registries (2.8: no referrers
// API, so the referrers tag schema) and skopeo: an image with a signature-like and an SBOM-like
// artifact (attached by attachArtifact) and a signature of the SBOM is copied registry to registry
// with all three, same digests (`shale referrers --json` at the destination, skopeo reads each
// artifact by digest); without referrers none is carried; into an OCI layout and back they are
// carried; an index carries the referrers of itself and of its children (with a platform, only
// that child's); a source without referrers costs one tag request per manifest (plus one probe of
// the referrers API); a chain deeper than the bound and an artifact listed under the wrong subject
// are refused before anything is written.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isShaleError, parseNormalizedNamed } from '../../src/core/index.ts';
import { copyImage } from '../../src/formats/index.ts';
import { MAX_REFERRER_DEPTH } from '../../src/registry/transfer/referrers-plan.ts';
import { attachArtifact, RegistryClient, type Artifact } from '../../src/registry/index.ts';
import {
  artifact,
  OCI_INDEX,
  SBOM_TYPE,
  sha256,
  SIG_TYPE,
  subjectOfArtifact,
} from '../helpers/artifact.ts';
import { publish } from '../helpers/publish.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { runShaleAsync } from '../helpers/shale.ts';
import { skopeoRaw } from '../helpers/skopeo-inspect.ts';
import { buildSmallFixture } from '../helpers/small-fixture.ts';

let origin: TestRegistry;
let target: TestRegistry;
let client: RegistryClient;
let work: string;
let layout: string;

before(async () => {
  work = fs.mkdtempSync(path.join(tmpdir(), 'shale-copy-referrers-'));
  await buildSmallFixture(path.join(work, 'small'));
  layout = path.join(work, 'small', 'oci');
  [origin, target] = await Promise.all([startRegistry(), startRegistry()]);
  client = new RegistryClient();
});

after(async () => {
  await client?.close();
  await Promise.all([origin?.stop(), target?.stop()]);
  fs.rmSync(work, { recursive: true, force: true });
});

/** The subject descriptor of what `reference` (`host/repo:tag`) names, read by skopeo. */
async function subjectOf(reference: string) {
  const raw = await skopeoRaw(`docker://${reference}`);
  const { mediaType } = JSON.parse(raw.toString('utf8')) as { mediaType: string };
  return { mediaType, digest: sha256(raw), size: raw.length };
}

/** `shale referrers --json REF`, parsed. */
async function referrersJson(ref: string): Promise<unknown[]> {
  const r = await runShaleAsync(['referrers', '--json', ref]);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as unknown[];
}

async function attach(repo: string, ...artifacts: Artifact[]): Promise<void> {
  for (const a of artifacts) await attachArtifact(client, parseNormalizedNamed(repo), a);
}

/** An image on origin at `repo:v1`, signed, with an SBOM, and a signature of the SBOM. */
async function signedImage(repo: string) {
  const ref = `${origin.host}/${repo}:v1`;
  await publish(layout, 'small', ref, 'oci');
  const image = await subjectOf(ref);
  const sig = artifact(image, SIG_TYPE, `{"sig":"${repo}"}`, '2024-05-01T10:00:00Z');
  const sbom = artifact(image, SBOM_TYPE, '{"spdxVersion":"SPDX-2.3"}', '2024-05-02T11:00:00Z');
  const sbomSig = artifact(
    subjectOfArtifact(sbom),
    SIG_TYPE,
    '{"of":"sbom"}',
    '2024-05-03T12:00:00Z',
  );
  await attach(`${origin.host}/${repo}`, sig, sbom, sbomSig);
  return { ref, image, sig, sbom, sbomSig };
}

/** The referrers listed at `host/repo` for the image and for its SBOM, and each artifact's bytes. */
async function carriedTo(host: string, repo: string, s: Awaited<ReturnType<typeof signedImage>>) {
  return {
    ofImage: await referrersJson(`${host}/${repo}@${s.image.digest}`),
    ofSbom: await referrersJson(`${host}/${repo}@${s.sbom.digest}`),
    bytes: await Promise.all(
      [s.sig, s.sbom, s.sbomSig].map((a) => skopeoRaw(`docker://${host}/${repo}@${a.digest}`)),
    ),
  };
}

test('registry to registry carries the signature, the SBOM and the SBOM signature, digests kept', async () => {
  const s = await signedImage('signed/app');
  const source = await carriedTo(origin.host, 'signed/app', s);
  assert.equal(source.ofImage.length, 2);
  assert.equal(source.ofSbom.length, 1);

  const result = await copyImage(`docker://${s.ref}`, `docker://${target.host}/copied/app:v1`, {
    client,
  });
  assert.equal(result.digest, s.image.digest);
  assert.equal(result.referrers, 3);
  assert.equal(result.summary, `manifest ${s.image.digest} and 3 referring artifacts`);
  const copied = await carriedTo(target.host, 'copied/app', s);
  assert.deepEqual(copied.ofImage, source.ofImage);
  assert.deepEqual(copied.ofSbom, source.ofSbom);
  assert.deepEqual(copied.bytes, [s.sig.manifest, s.sbom.manifest, s.sbomSig.manifest]);
  assert.deepEqual(
    (copied.ofImage as { digest: string }[]).map((d) => d.digest),
    [s.sig.digest, s.sbom.digest],
  );

  // Again: nothing is listed twice.
  const again = await copyImage(`docker://${s.ref}`, `docker://${target.host}/copied/app:v1`, {
    client,
  });
  assert.equal(again.referrers, 3);
  assert.deepEqual(await carriedTo(target.host, 'copied/app', s), copied);

  // Without referrers: the image alone.
  const bare = await copyImage(`docker://${s.ref}`, `docker://${target.host}/bare/app:v1`, {
    client,
    withReferrers: false,
  });
  assert.equal(bare.referrers, 0);
  assert.equal(bare.summary, `manifest ${s.image.digest}`);
  assert.deepEqual(await referrersJson(`${target.host}/bare/app:v1`), []);
  await assert.rejects(skopeoRaw(`docker://${target.host}/bare/app@${s.sig.digest}`));
});

test('into an OCI layout (unnamed index.json entries, as oras keeps them) and back', async () => {
  const s = await signedImage('laid/app');
  const dir = path.join(work, 'laid');
  const out = await copyImage(`docker://${s.ref}`, `oci:${dir}:app`, { client });
  assert.equal(out.referrers, 3);
  const index = JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8')) as {
    manifests: { digest: string; annotations?: Record<string, string>; artifactType?: string }[];
  };
  const [named, ...unnamed] = index.manifests;
  assert.equal(named?.digest, s.image.digest);
  assert.equal(named?.annotations?.['org.opencontainers.image.ref.name'], 'app');
  assert.deepEqual(
    unnamed.map((e) => [
      e.digest,
      e.artifactType,
      e.annotations?.['org.opencontainers.image.ref.name'],
    ]),
    [
      [s.sig.digest, SIG_TYPE, undefined],
      [s.sbom.digest, SBOM_TYPE, undefined],
      [s.sbomSig.digest, SIG_TYPE, undefined],
    ],
  );
  for (const a of [s.sig, s.sbom, s.sbomSig]) {
    const file = path.join(dir, 'blobs', 'sha256', a.digest.slice('sha256:'.length));
    assert.deepEqual(fs.readFileSync(file), a.manifest);
  }
  assert.equal(sha256(await skopeoRaw(`oci:${dir}:app`)), s.image.digest);

  const back = await copyImage(`oci:${dir}:app`, `docker://${target.host}/back/app:v1`, {
    client,
  });
  assert.equal(back.referrers, 3);
  const source = await carriedTo(origin.host, 'laid/app', s);
  assert.deepEqual(await carriedTo(target.host, 'back/app', s), source);
});

/**
 * Requests the registry's access log shows since `mark`: all, and those about referrers. The
 * registry writes a request's line after answering it: the log is read once it stops growing.
 */
async function requestsSince(registry: TestRegistry, mark: number) {
  await logMark(registry);
  const uris = fs
    .readFileSync(registry.logFile)
    .subarray(mark)
    .toString('utf8')
    .split('\n')
    .flatMap((line) => /^\S+ - \S+ \[[^\]]+\] "[A-Z]+ (\S+) HTTP/.exec(line)?.[1] ?? []);
  const aboutReferrers = uris.filter((uri) =>
    /^\/v2\/.*\/(referrers\/|manifests\/sha256-)/.test(uri),
  );
  return { all: uris.length, referrers: aboutReferrers.length };
}

/** The size of the registry's log once it has stopped growing. */
async function logMark(registry: TestRegistry): Promise<number> {
  let size = -1;
  while (size !== fs.statSync(registry.logFile).size) {
    size = fs.statSync(registry.logFile).size;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return size;
}

/** A two-platform index on origin at `repo:both` over the small image as OCI and as schema2. */
async function publishIndex(repo: string) {
  const host = origin.host;
  await publish(layout, 'small', `${host}/${repo}:oci`, 'oci');
  await publish(layout, 'small', `${host}/${repo}:docker`, 'v2s2');
  const amd64 = await subjectOf(`${host}/${repo}:oci`);
  const arm64 = await subjectOf(`${host}/${repo}:docker`);
  const platform = (architecture: string) => ({ platform: { os: 'linux', architecture } });
  const body = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: [
        { ...amd64, ...platform('amd64') },
        { ...arm64, ...platform('arm64') },
      ],
    }),
  );
  const put = await fetch(`http://${host}/v2/${repo}/manifests/both`, {
    method: 'PUT',
    headers: { 'content-type': OCI_INDEX },
    body,
  });
  assert.equal(put.status, 201);
  return { index: { mediaType: OCI_INDEX, digest: sha256(body), size: body.length }, amd64, arm64 };
}

test('an index carries its own referrers and its children’s; a platform only that child’s; no referrers cost one request per manifest', async () => {
  const { index, arm64 } = await publishIndex('multi/app');
  const src = `docker://${origin.host}/multi/app:both`;

  // No referrers: against a copy without them, one tag-schema request per manifest copied (the
  // index and its two children) and one probe of the referrers API, nothing else.
  let mark = await logMark(origin);
  await copyImage(src, `docker://${target.host}/multi/none:v1`, { client, withReferrers: false });
  const without = await requestsSince(origin, mark);
  mark = await logMark(origin);
  const plain = await copyImage(src, `docker://${target.host}/multi/plain:v1`, { client });
  const withThem = await requestsSince(origin, mark);
  assert.equal(plain.referrers, 0);
  assert.equal(without.referrers, 0);
  assert.equal(withThem.referrers, 3 + 1);
  assert.equal(withThem.all - without.all, 3 + 1);

  const onIndex = artifact(index, SIG_TYPE, '{"of":"index"}', '2024-06-01T00:00:00Z');
  const onArm = artifact(arm64, SBOM_TYPE, '{"of":"arm64"}', '2024-06-02T00:00:00Z');
  await attach(`${origin.host}/multi/app`, onIndex, onArm);
  const whole = await copyImage(src, `docker://${target.host}/multi/all:v1`, { client });
  assert.equal(whole.digest, index.digest);
  assert.equal(whole.referrers, 2);
  const listed = async (repo: string, subject: string) =>
    ((await referrersJson(`${target.host}/${repo}@${subject}`)) as { digest: string }[]).map(
      (d) => d.digest,
    );
  assert.deepEqual(await listed('multi/all', index.digest), [onIndex.digest]);
  assert.deepEqual(await listed('multi/all', arm64.digest), [onArm.digest]);

  const one = await copyImage(src, `docker://${target.host}/multi/arm:v1`, {
    client,
    platform: { os: 'linux', architecture: 'arm64' },
  });
  assert.equal(one.digest, arm64.digest);
  assert.equal(one.referrers, 1);
  assert.deepEqual(await listed('multi/arm', arm64.digest), [onArm.digest]);
  await assert.rejects(skopeoRaw(`docker://${target.host}/multi/arm@${onIndex.digest}`));
});

test('a referrer chain deeper than the bound, and an artifact listed under another subject, are refused before any write', async () => {
  const ref = `${origin.host}/deep/app:v1`;
  await publish(layout, 'small', ref, 'oci');
  let subject = await subjectOf(ref);
  for (let depth = 1; depth <= MAX_REFERRER_DEPTH + 1; depth++) {
    const link = artifact(subject, SIG_TYPE, `{"depth":${depth}}`, '2024-07-01T00:00:00Z');
    await attach(`${origin.host}/deep/app`, link);
    subject = subjectOfArtifact(link);
  }
  await assert.rejects(
    copyImage(`docker://${ref}`, `docker://${target.host}/deep/copy:v1`, { client }),
    (err: unknown) =>
      isShaleError(err, 'ERR_LIMIT') &&
      err.message.includes(`referrers more than ${MAX_REFERRER_DEPTH} deep`),
  );
  const head = await fetch(`http://${target.host}/v2/deep/copy/manifests/v1`, { method: 'HEAD' });
  assert.equal(head.status, 404);

  // The image's referrers index (tag schema) lists an artifact whose subject is another manifest.
  const s = await signedImage('wrong/app');
  const hex = s.image.digest.slice('sha256:'.length);
  const liar = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: [{ ...subjectOfArtifact(s.sbomSig), artifactType: SIG_TYPE }],
    }),
  );
  const put = await fetch(`http://${origin.host}/v2/wrong/app/manifests/sha256-${hex}`, {
    method: 'PUT',
    headers: { 'content-type': OCI_INDEX },
    body: liar,
  });
  assert.equal(put.status, 201);
  await assert.rejects(
    copyImage(`docker://${s.ref}`, `oci:${path.join(work, 'wrong')}:app`, { client }),
    (err: unknown) =>
      isShaleError(err, 'ERR_INVALID_ARGUMENT') &&
      err.message.includes(
        `referrer ${s.sbomSig.digest} of ${s.image.digest} names another subject`,
      ),
  );
  assert.equal(fs.existsSync(path.join(work, 'wrong')), false);
});
