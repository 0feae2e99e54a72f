// `shale copy` of an index that lists an index (the real Distribution registry as the source):
// copied whole to a registry and to a layout, every digest kept, each index put after what it
// lists; `--platform` finds the image through the inner index; the store, whose indexes list image
// manifests only, refuses it with one clear line and stays as it was; and nesting deeper than the
// bound (8 indexes, the top one included), or naming more than 1,000 manifests or 64 MiB of them,
// is refused before anything is written.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  buildTwoImages,
  publishTwoPlatforms,
  putManifest,
  type IndexEntry,
} from '../helpers/multi-platform.ts';
import { remoteDigest } from '../helpers/publish.ts';
import { assertRefused, storeState } from '../helpers/refusal.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { runShale, shaleIn as shale } from '../helpers/shale.ts';
import { rawDigest, skopeoRaw } from '../helpers/skopeo-inspect.ts';

const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const REPO = 'nest/multi';

let registry: TestRegistry;
let work: string;
let platforms: { amd: IndexEntry; arm: IndexEntry };
/** `inner` lists both platforms' manifests; `nested` lists `inner` only. */
let inner: { digest: string; size: number };
let nested: string;

before(async () => {
  work = fs.mkdtempSync(path.join(tmpdir(), 'shale-copy-nested-'));
  const images = await buildTwoImages(work);
  registry = await startRegistry();
  platforms = await publishTwoPlatforms(registry.host, REPO, images);
  inner = await putIndexOf('inner', [platforms.amd, platforms.arm]);
  nested = (await putIndexOf('nested', [{ mediaType: OCI_INDEX, ...inner }])).digest;
});

after(async () => {
  await registry?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

/** Put an OCI index of `entries` as REPO:tag; its digest and size. */
async function putIndexOf(
  tag: string,
  entries: readonly object[],
): Promise<{ digest: string; size: number }> {
  const body = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: entries }),
  );
  const digest = await putManifest(registry.host, REPO, tag, OCI_INDEX, body);
  assert.equal(digest, `sha256:${createHash('sha256').update(body).digest('hex')}`);
  return { digest, size: body.length };
}

test('an index listing an index is copied whole, digests kept; --platform finds the image through it; the store refuses it', async () => {
  const host = registry.host;
  const copied = runShale([
    'copy',
    `docker://${host}/${REPO}:nested`,
    `docker://${host}/nest/copy:v1`,
  ]);
  assert.equal(copied.status, 0, copied.stderr);
  assert.equal(copied.stdout.trim(), `${host}/nest/copy:v1@${nested}`);
  assert.match(copied.stderr, /with all 2 of its manifests \(in 1 nested index\)/);
  assert.equal(await remoteDigest(`${host}/nest/copy:v1`), nested);
  assert.equal(await rawDigest(`docker://${host}/nest/copy@${inner.digest}`), inner.digest);

  const layout = path.join(work, 'layout');
  const intoLayout = runShale([
    'copy',
    '-q',
    `docker://${host}/${REPO}:nested`,
    `oci:${layout}:v1`,
  ]);
  assert.equal(intoLayout.status, 0, intoLayout.stderr);
  assert.equal(await rawDigest(`oci:${layout}:v1`), nested);
  for (const digest of [inner.digest, platforms.amd.digest, platforms.arm.digest])
    assert.ok(fs.existsSync(path.join(layout, 'blobs', 'sha256', digest.slice(7))), digest);
  // Back from the layout to a registry: the same index.
  const back = runShale(['copy', '-q', `oci:${layout}:v1`, `docker://${host}/nest/back:v1`]);
  assert.equal(back.status, 0, back.stderr);
  assert.equal(await remoteDigest(`${host}/nest/back:v1`), nested);

  const arm = runShale([
    'copy',
    '-q',
    '--platform',
    'linux/arm64',
    `docker://${host}/${REPO}:nested`,
    `oci:${path.join(work, 'arm')}:arm`,
  ]);
  assert.equal(arm.status, 0, arm.stderr);
  assert.equal(arm.stdout.trim(), `oci:${path.join(work, 'arm')}:arm@${platforms.arm.digest}`);
  assert.deepEqual(
    (
      JSON.parse((await skopeoRaw(`oci:${path.join(work, 'arm')}:arm`)).toString('utf8')) as {
        mediaType: string;
      }
    ).mediaType,
    'application/vnd.oci.image.manifest.v1+json',
  );

  const root = fs.mkdtempSync(path.join(work, 'store-'));
  shale(
    root,
    'copy',
    '-q',
    '--platform',
    'linux/amd64',
    `docker://${host}/${REPO}:nested`,
    'store:x/amd:v1',
  );
  const before = storeState(root);
  assertRefused(
    runShale(['--root', root, 'copy', '-q', `docker://${host}/${REPO}:nested`, 'store:x/all:v1']),
    new RegExp(
      `lists index ${inner.digest} within its index, and store:\\S*x/all:v1 keeps indexes of image manifests only: choose one platform with --platform`,
    ),
  );
  assert.deepEqual(storeState(root), before);
});

test('indexes nested deeper than 8 (the top one included) are refused before anything is written', async () => {
  const host = registry.host;
  let below = { mediaType: OCI_INDEX, ...inner };
  for (let level = 2; level <= 8; level++) {
    below = { mediaType: OCI_INDEX, ...(await putIndexOf(`deep${level}`, [below])) };
  }
  // deep8 is 8 indexes deep: copied.
  const eight = runShale([
    'copy',
    '-q',
    `docker://${host}/${REPO}:deep8`,
    `docker://${host}/nest/deep:8`,
  ]);
  assert.equal(eight.status, 0, eight.stderr);
  assert.equal(await remoteDigest(`${host}/nest/deep:8`), below.digest);

  await putIndexOf('deep9', [below]);
  const layout = path.join(work, 'deep-layout');
  for (const dest of [`docker://${host}/nest/deep:9`, `oci:${layout}:v1`]) {
    assertRefused(
      runShale(['copy', '-q', `docker://${host}/${REPO}:deep9`, dest]),
      /indexes nest more than 8 deep \(the top one included\), more than a copy follows/,
    );
  }
  await assert.rejects(remoteDigest(`${host}/nest/deep:9`));
  assert.equal(fs.existsSync(layout), false, 'no layout was made');
});

/** An OCI layout at `dir` whose index.json names `top` as `v1`; `put` stores each blob. */
function layoutWith(dir: string, build: (put: (value: unknown) => IndexEntry) => IndexEntry): void {
  fs.mkdirSync(path.join(dir, 'blobs', 'sha256'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const put = (value: unknown): IndexEntry => {
    const bytes = Buffer.from(JSON.stringify(value));
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    fs.writeFileSync(path.join(dir, 'blobs', 'sha256', digest.slice(7)), bytes);
    const { mediaType } = value as { mediaType: string };
    return {
      mediaType,
      digest,
      size: bytes.length,
      platform: { os: 'linux', architecture: 'amd64' },
    };
  };
  const top = build(put);
  const named = { ...top, annotations: { 'org.opencontainers.image.ref.name': 'v1' } };
  fs.writeFileSync(
    path.join(dir, 'index.json'),
    JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [named] }),
  );
}

/** Image manifest number `n` (all share one empty config), padded with `pad` bytes. */
function manifestValue(put: (value: unknown) => IndexEntry, n: number, pad = 0): unknown {
  const config = put({
    architecture: 'amd64',
    os: 'linux',
    rootfs: { type: 'layers', diff_ids: [] },
  });
  return {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: {
      mediaType: 'application/vnd.oci.image.config.v1+json',
      digest: config.digest,
      size: config.size,
    },
    layers: [],
    annotations: { n: String(n), pad: 'x'.repeat(pad) },
  };
}

test('a manifest listed at two levels is read and put once; more than 1,000 manifests or 64 MiB of them are refused before any write', () => {
  const twice = path.join(work, 'twice');
  layoutWith(twice, (put) => {
    const one = put(manifestValue(put, 1));
    const two = put(manifestValue(put, 2));
    const inner = put({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [one, two] });
    return put({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [one, inner] });
  });
  const copied = runShale(['copy', `oci:${twice}:v1`, `oci:${path.join(work, 'twice-out')}:v1`]);
  assert.equal(copied.status, 0, copied.stderr);
  assert.match(copied.stderr, /with all 2 of its manifests \(in 1 nested index\)/);

  const many = path.join(work, 'many');
  layoutWith(many, (put) => {
    const entries = Array.from({ length: 1001 }, (_, n) => put(manifestValue(put, n)));
    return put({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: entries });
  });
  const big = path.join(work, 'big');
  layoutWith(big, (put) => {
    const entries = Array.from({ length: 17 }, (_, n) => put(manifestValue(put, n, 4_000_000)));
    return put({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: entries });
  });
  for (const source of [many, big]) {
    const out = path.join(work, `${path.basename(source)}-out`);
    assertRefused(
      runShale(['copy', '-q', `oci:${source}:v1`, `oci:${out}:v1`]),
      /name more than 1000 manifests or 64 MiB of them/,
    );
    assert.equal(fs.existsSync(out), false, 'no layout was made');
  }
  // 1,000 manifests are copied.
  const thousand = path.join(work, 'thousand');
  layoutWith(thousand, (put) => {
    const entries = Array.from({ length: 1000 }, (_, n) => put(manifestValue(put, n)));
    return put({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: entries });
  });
  const all = runShale([
    'copy',
    '-q',
    `oci:${thousand}:v1`,
    `oci:${path.join(work, 'thousand-out')}:v1`,
  ]);
  assert.equal(all.status, 0, all.stderr);
});
