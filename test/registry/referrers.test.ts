// Attached artifacts against the real Distribution registry (2.8: no referrers API, so the
// referrers tag schema): a signature-like and an SBOM-like artifact attached to an image published
// by skopeo are listed by `shale referrers` (plain, --json, --artifact-type, by tag or digest) with
// the digests pushed, and skopeo reads the `sha256-<hex>` index that was written. Against a
// scripted hostile registry: a referrers index of 10^6 entries, an endless Link chain and
// malformed answers end with a clear error after bounded work.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { parseNormalizedNamed } from '../../src/core/index.ts';
import { attachArtifact, RegistryClient } from '../../src/registry/index.ts';
import {
  artifact,
  OCI_INDEX,
  OCI_MANIFEST,
  SBOM_TYPE,
  sha256,
  SIG_TYPE,
} from '../helpers/artifact.ts';
import { smallImage, startHostileRegistry } from '../helpers/hostile-registry.ts';
import { publish } from '../helpers/publish.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { runShale, runShaleAsync } from '../helpers/shale.ts';
import { buildSmallFixture } from '../helpers/small-fixture.ts';

const run = promisify(execFile);

let registry: TestRegistry;
let client: RegistryClient;
let work: string;
let small: string;

before(async () => {
  work = fs.mkdtempSync(path.join(tmpdir(), 'shale-referrers-'));
  small = path.join(work, 'small');
  await buildSmallFixture(small);
  registry = await startRegistry();
  client = new RegistryClient();
});

after(async () => {
  await client?.close();
  await registry?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

async function skopeoRaw(reference: string): Promise<Buffer> {
  const { stdout } = await run(
    'skopeo',
    ['inspect', '--raw', '--tls-verify=false', `docker://${reference}`],
    { encoding: 'buffer' },
  );
  return stdout;
}

/** The subject descriptor of what `reference` names, read by skopeo. */
async function subjectOf(reference: string) {
  const raw = await skopeoRaw(reference);
  const { mediaType } = JSON.parse(raw.toString('utf8')) as { mediaType: string };
  return { mediaType, digest: sha256(raw), size: raw.length };
}

function shale(...args: string[]): string {
  const r = runShale(args);
  assert.equal(r.status, 0, `shale ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

test('artifacts attached through the tag schema: listed plain and --json, filtered, as pushed', async () => {
  const ref = `${registry.host}/signed/app:v1`;
  await publish(path.join(small, 'oci'), 'small', ref, 'oci');
  const subject = await subjectOf(ref);
  const sig = artifact(subject, SIG_TYPE, '{"critical":{}}', '2024-05-01T10:00:00Z');
  const sbom = artifact(subject, SBOM_TYPE, '{"spdxVersion":"SPDX-2.3"}', '2024-05-02T11:00:00Z');
  const repo = parseNormalizedNamed(`${registry.host}/signed/app`);
  for (const a of [sig, sbom]) {
    const result = await attachArtifact(client, repo, a);
    assert.equal(result.digest, a.digest);
    assert.equal(result.subject, subject.digest);
    assert.equal(result.recordedBy, 'tag-schema', 'Distribution 2.8 has no referrers API');
  }
  // Attaching again adds no second entry.
  await attachArtifact(client, repo, sig);

  // skopeo reads the artifacts by digest, byte for byte, and the tag-schema index.
  assert.deepEqual(await skopeoRaw(`${registry.host}/signed/app@${sig.digest}`), sig.manifest);
  const hex = subject.digest.slice('sha256:'.length);
  const tagIndex = JSON.parse(
    (await skopeoRaw(`${registry.host}/signed/app:sha256-${hex}`)).toString('utf8'),
  ) as { mediaType: string; manifests: Record<string, unknown>[] };
  assert.equal(tagIndex.mediaType, OCI_INDEX);
  const expected = [
    { a: sig, type: SIG_TYPE, created: '2024-05-01T10:00:00Z' },
    { a: sbom, type: SBOM_TYPE, created: '2024-05-02T11:00:00Z' },
  ].map(({ a, type, created }) => ({
    mediaType: OCI_MANIFEST,
    digest: a.digest,
    size: a.manifest.length,
    artifactType: type,
    annotations: { 'org.opencontainers.image.created': created },
  }));
  assert.deepEqual(tagIndex.manifests, expected);

  // --json: the descriptors as listed, by tag and by digest.
  assert.deepEqual(JSON.parse(shale('referrers', '--json', ref)), expected);
  assert.deepEqual(
    JSON.parse(shale('referrers', '--json', `${registry.host}/signed/app@${subject.digest}`)),
    expected,
  );
  // Plain: a header and one row per artifact.
  const lines = shale('referrers', ref).trimEnd().split('\n');
  assert.match(lines[0]!, /^DIGEST\s+ARTIFACT TYPE\s+SIZE\s+CREATED$/);
  assert.equal(lines.length, 3);
  for (const [i, e] of expected.entries()) {
    const cells = lines[i + 1]!.split(/\s{2,}/);
    assert.equal(cells[0], e.digest);
    assert.equal(cells[1], e.artifactType);
    assert.equal(cells[3], e.annotations['org.opencontainers.image.created']);
  }
  // --artifact-type keeps only that type.
  assert.deepEqual(JSON.parse(shale('referrers', '--json', '--artifact-type', SBOM_TYPE, ref)), [
    expected[1],
  ]);
  const filtered = shale('referrers', '--artifact-type', SIG_TYPE, ref).trimEnd().split('\n');
  assert.equal(filtered.length, 2);
  assert.ok(filtered[1]!.startsWith(sig.digest));
});

test('an image without referrers lists none; an unknown image is a clear error', async () => {
  const ref = `${registry.host}/plain/app:v1`;
  await publish(path.join(small, 'oci'), 'small', ref, 'oci');
  assert.deepEqual(JSON.parse(shale('referrers', '--json', ref)), []);
  assert.match(shale('referrers', ref), /^DIGEST\s+ARTIFACT TYPE\s+SIZE\s+CREATED\n$/);
  for (const missing of [`${registry.host}/plain/app:nosuch`, `${registry.host}/nosuch/app:v1`]) {
    const r = runShale(['referrers', missing]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^shale: registry .*: (MANIFEST|NAME)_UNKNOWN /);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
});

test('hostile referrers answers are bounded and refused with a clear error', async () => {
  const hostile = await startHostileRegistry();
  try {
    const image = await smallImage(hostile, 'v1', { bytes: 1024 });
    const ref = `${hostile.host}/evil/app:v1`;
    const entry = (n: number) =>
      JSON.stringify({
        mediaType: OCI_MANIFEST,
        digest: `sha256:${createHash('sha256').update(String(n)).digest('hex')}`,
        size: 100,
        artifactType: SIG_TYPE,
      });
    const onReferrers = (
      answer: (res: import('node:http').ServerResponse, url: URL) => void,
    ): void =>
      hostile.misbehave((req, res) => {
        const url = new URL(req.url ?? '/', 'http://x');
        if (!url.pathname.includes('/referrers/')) return false;
        answer(res, url);
        return true;
      });

    /** An index of 10^6 entries (about 180 MB), streamed until the client hangs up. */
    const hugeIndex = (res: import('node:http').ServerResponse): void => {
      res.writeHead(200, { 'content-type': OCI_INDEX });
      const body = Readable.from(
        (function* () {
          yield `{"schemaVersion":2,"mediaType":"${OCI_INDEX}","manifests":[`;
          for (let n = 0; n < 1_000_000; n++) yield `${n ? ',' : ''}${entry(n)}`;
          yield ']}';
        })(),
      );
      body.on('error', () => undefined);
      res.on('error', () => undefined);
      res.on('close', () => body.destroy());
      body.pipe(res);
    };

    // The referrers API answers a 10^6-entry index: cut at the page limit.
    onReferrers(hugeIndex);
    let r = await runShaleAsync(['referrers', ref]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /^shale: page 1 of the referrers of sha256:\w+ .* is too large/);
    assert.ok(hostile.bytesSent() < 32 << 20, `sent ${hostile.bytesSent()} bytes`);

    // An endless Link chain: followed for 16 pages, then refused.
    const before = hostile.count('other', 'GET');
    onReferrers((res, url) => {
      const n = Number(url.searchParams.get('page') ?? '0');
      res.writeHead(200, {
        'content-type': OCI_INDEX,
        link: `<${url.pathname}?page=${n + 1}>; rel="next"`,
      });
      res.end(`{"schemaVersion":2,"mediaType":"${OCI_INDEX}","manifests":[${entry(n)}]}`);
    });
    r = await runShaleAsync(['referrers', ref]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /^shale: the referrers of sha256:\w+ in .* run past 16 pages/);
    assert.equal(hostile.count('other', 'GET') - before, 16);

    // Malformed answers: an entry without a digest; a body that is not an index.
    onReferrers((res) => {
      res.writeHead(200, { 'content-type': OCI_INDEX });
      res.end(`{"schemaVersion":2,"manifests":[{"mediaType":"${OCI_MANIFEST}","size":3}]}`);
    });
    r = await runShaleAsync(['referrers', ref]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^shale: page 1 of the referrers .*: entry 0 has no valid digest\n$/);
    onReferrers((res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"tags":[]}');
    });
    r = await runShaleAsync(['referrers', ref]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /is not an image index \(no manifests list\)\n$/);

    // No referrers API (404) and a tag-schema index of 10^6 entries: cut at the manifest limit.
    const hex = image.manifestDigest.slice('sha256:'.length);
    /** A registry without the referrers API (404), serving the tag-schema index with `tag`. */
    const noReferrersApi = (tag?: (res: import('node:http').ServerResponse) => void): void =>
      hostile.misbehave((req, res, route) => {
        if (req.url?.includes('/referrers/')) res.writeHead(404).end('404 page not found');
        else if (tag && route.kind === 'manifest' && route.reference === `sha256-${hex}`) tag(res);
        else return false;
        return true;
      });
    noReferrersApi(hugeIndex);
    const sentBefore = hostile.bytesSent();
    r = await runShaleAsync(['referrers', '--json', ref]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /^shale: the referrers index .*:sha256-\w+ is too large/);
    assert.ok(hostile.bytesSent() - sentBefore < 32 << 20, 'the index was not read whole');

    // The same fallback with an honest index lists it.
    noReferrersApi();
    hostile.addManifest(
      Buffer.from(`{"schemaVersion":2,"mediaType":"${OCI_INDEX}","manifests":[${entry(7)}]}`),
      OCI_INDEX,
      `sha256-${hex}`,
    );
    r = await runShaleAsync(['referrers', '--json', ref]);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), [JSON.parse(entry(7))]);
  } finally {
    await hostile.stop();
  }
});
