// `shale copy` from the built CLI against real Distribution registries and skopeo: registry to
// registry prints DEST@DIGEST (the source's digest, as skopeo reads it at the destination) and
// never creates the store root; `--platform` copies one manifest of an index, `--all` (the
// default) the whole index; an OCI layout round trip; attached artifacts are carried and counted
// unless `--no-with-referrers`; `store:REF` reads a pulled image from the store, and writes it
// into another; `--all` with `--platform` is wrong usage; bad endpoints and a
// source whose blob is damaged end with one `shale:` line, exit 1, and nothing under the
// destination tag.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  smallImage,
  startHostileRegistry,
  type HostileRegistry,
} from '../helpers/hostile-registry.ts';
import { parseNormalizedNamed } from '../../src/core/index.ts';
import { attachArtifact, RegistryClient } from '../../src/registry/index.ts';
import { artifact, OCI_MANIFEST, sha256, SIG_TYPE } from '../helpers/artifact.ts';
import { publish } from '../helpers/publish.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { runShaleAsync } from '../helpers/shale.ts';
import { rawDigest } from '../helpers/skopeo-inspect.ts';
import { buildSmallFixture } from '../helpers/small-fixture.ts';

const run = promisify(execFile);

let origin: TestRegistry;
let target: TestRegistry;
let hostile: HostileRegistry;
let work: string;
let layout: string;
let root: string;

before(async () => {
  work = fs.mkdtempSync(path.join(tmpdir(), 'shale-cli-copy-'));
  await buildSmallFixture(path.join(work, 'small'));
  layout = path.join(work, 'small', 'oci');
  root = path.join(work, 'never-made');
  [origin, target, hostile] = await Promise.all([
    startRegistry(),
    startRegistry(),
    startHostileRegistry(),
  ]);
});

after(async () => {
  await Promise.all([origin?.stop(), target?.stop(), hostile?.stop()]);
  fs.rmSync(work, { recursive: true, force: true });
});

/** `shale --root <never made> copy ARGS` (the server in this process keeps answering). */
function copy(...args: string[]) {
  return runShaleAsync(['--root', root, 'copy', ...args]);
}

test('registry to registry: DEST@DIGEST with the source digest, no store touched; --platform picks one manifest', async () => {
  await publish(layout, 'small', `${origin.host}/cli/app:oci`, 'oci');
  await publish(layout, 'small', `${origin.host}/cli/app:docker`, 'v2s2');
  const oci = await rawDigest(`docker://${origin.host}/cli/app:oci`);
  const docker = await rawDigest(`docker://${origin.host}/cli/app:docker`);

  const r = await copy(
    `docker://${origin.host}/cli/app:oci`,
    `docker://${target.host}/cli/copy:v1`,
  );
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, `${target.host}/cli/copy:v1@${oci}\n`);
  assert.match(
    r.stderr,
    new RegExp(
      `^Copied manifest ${oci} \\(blobs: \\d+ copied, 0 mounted, 0 already there\\)$`,
      'm',
    ),
  );
  assert.equal(await rawDigest(`docker://${target.host}/cli/copy:v1`), oci);
  assert.equal(fs.existsSync(root), false, 'registry to registry needs no store');

  // A two-platform index of the two manifests; --platform copies the arm64 one as the top.
  const entry = async (digest: string, tag: string, architecture: string) => {
    const res = await fetch(`http://${origin.host}/v2/cli/app/manifests/${tag}`, {
      headers: {
        accept:
          'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json',
      },
    });
    const bytes = Buffer.from(await res.arrayBuffer());
    const { mediaType } = JSON.parse(bytes.toString('utf8')) as { mediaType: string };
    return { mediaType, digest, size: bytes.length, platform: { os: 'linux', architecture } };
  };
  const body = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [await entry(oci, 'oci', 'amd64'), await entry(docker, 'docker', 'arm64')],
  });
  const put = await fetch(`http://${origin.host}/v2/cli/app/manifests/both`, {
    method: 'PUT',
    headers: { 'content-type': 'application/vnd.oci.image.index.v1+json' },
    body,
  });
  assert.equal(put.status, 201);
  const arm = await copy(
    '--platform',
    'linux/arm64',
    `docker://${origin.host}/cli/app:both`,
    `docker://${target.host}/cli/arm:v1`,
  );
  assert.equal(arm.status, 0, arm.stderr);
  assert.equal(arm.stdout, `${target.host}/cli/arm:v1@${docker}\n`);
  assert.match(arm.stderr, /Copied manifest sha256:[0-9a-f]{64} for linux\/arm64 of index/);
  const whole = await copy(
    '-q',
    `docker://${origin.host}/cli/app:both`,
    `docker://${target.host}/cli/all:v1`,
  );
  assert.equal(whole.status, 0, whole.stderr);
  const index = await rawDigest(`docker://${target.host}/cli/all:v1`);
  assert.equal(whole.stdout, `${target.host}/cli/all:v1@${index}\n`);
  assert.equal(whole.stderr, '');
  assert.equal(await rawDigest(`docker://${target.host}/cli/all@${oci}`), oci);
  const all = await copy(
    '-q',
    '--all',
    `docker://${origin.host}/cli/app:both`,
    `docker://${target.host}/cli/every:v1`,
  );
  assert.equal(all.status, 0, all.stderr);
  assert.equal(all.stdout, `${target.host}/cli/every:v1@${index}\n`);
  assert.equal(fs.existsSync(root), false);

  // Into an OCI layout and back to the registry.
  const dir = path.join(work, 'layout');
  const out = await copy('-q', `docker://${origin.host}/cli/app:oci`, `oci:${dir}:app`);
  assert.equal(out.status, 0, out.stderr);
  assert.equal(out.stdout, `oci:${dir}:app@${oci}\n`);
  assert.equal(await rawDigest(`oci:${dir}:app`), oci);
  const back = await copy('-q', `oci:${dir}:app`, `docker://${target.host}/cli/back:v1`);
  assert.equal(back.status, 0, back.stderr);
  assert.equal(await rawDigest(`docker://${target.host}/cli/back:v1`), oci);
});

test('attached artifacts are carried and counted; --no-with-referrers leaves them', async () => {
  const ref = `${origin.host}/cli/signed:v1`;
  await publish(layout, 'small', ref, 'oci');
  const raw = await run('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${ref}`], {
    encoding: 'buffer',
  });
  const image = { mediaType: OCI_MANIFEST, digest: sha256(raw.stdout), size: raw.stdout.length };
  const sig = artifact(image, SIG_TYPE, '{"cli":true}', '2024-08-01T00:00:00Z');
  const client = new RegistryClient();
  try {
    await attachArtifact(client, parseNormalizedNamed(`${origin.host}/cli/signed`), sig);
  } finally {
    await client.close();
  }
  const referrers = async (at: string) => {
    const r = await runShaleAsync(['referrers', '--json', at]);
    assert.equal(r.status, 0, r.stderr);
    return (JSON.parse(r.stdout) as { digest: string }[]).map((d) => d.digest);
  };

  const carried = await copy(`docker://${ref}`, `docker://${target.host}/cli/signed:v1`);
  assert.equal(carried.status, 0, carried.stderr);
  assert.match(
    carried.stderr,
    new RegExp(`^Copied manifest ${image.digest} and 1 referring artifact \\(blobs: `, 'm'),
  );
  assert.deepEqual(await referrers(`${target.host}/cli/signed:v1`), [sig.digest]);
  assert.equal(await rawDigest(`docker://${target.host}/cli/signed@${sig.digest}`), sig.digest);

  const alone = await copy(
    '--no-with-referrers',
    `docker://${ref}`,
    `docker://${target.host}/cli/alone:v1`,
  );
  assert.equal(alone.status, 0, alone.stderr);
  assert.match(alone.stderr, new RegExp(`^Copied manifest ${image.digest} \\(blobs: `, 'm'));
  assert.deepEqual(await referrers(`${target.host}/cli/alone:v1`), []);
});

test('store:REF copies a pulled image out of the store with its digest, and back into another store', async () => {
  const source = `${origin.host}/cli/stored:v1`;
  await publish(layout, 'small', source, 'oci');
  const storeRoot = path.join(work, 'store');
  const pulled = await runShaleAsync(['--root', storeRoot, 'pull', '-q', source]);
  assert.equal(pulled.status, 0, pulled.stderr);
  const expected = await rawDigest(`docker://${source}`);
  const archive = path.join(work, 'stored.tar');
  const r = await runShaleAsync([
    '--root',
    storeRoot,
    'copy',
    '-q',
    `store:${source}`,
    `oci-archive:${archive}:v1`,
  ]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, `oci-archive:${archive}:v1@${expected}\n`);
  assert.equal(await rawDigest(`oci-archive:${archive}:v1`), expected);

  // And into another store from the archive: the same image, named with the same digest.
  const otherRoot = path.join(work, 'other-store');
  const into = await runShaleAsync([
    '--root',
    otherRoot,
    'copy',
    '-q',
    `oci-archive:${archive}:v1`,
    'store:x:1',
  ]);
  assert.equal(into.status, 0, into.stderr);
  assert.equal(into.stdout, `store:docker.io/library/x:1@${expected}\n`);
  const ids = await Promise.all(
    [
      ['--root', storeRoot, 'images', '-q', '--no-trunc', source],
      ['--root', otherRoot, 'images', '-q', '--no-trunc', 'x:1'],
    ].map(async (args) => (await runShaleAsync(args)).stdout),
  );
  assert.equal(ids[1], ids[0]);
  assert.match(ids[0]!, /^sha256:[0-9a-f]{64}\n$/);
});

test('bad endpoints, --all with --platform, and a damaged source blob: one shale: line, nothing under the tag', async () => {
  const both = await copy(
    '--all',
    '--platform',
    'linux/amd64',
    `docker://${origin.host}/cli/app:oci`,
    `docker://${target.host}/x/y:z`,
  );
  assert.equal(both.status, 2);
  assert.match(both.stderr, /^shale: option '--platform .*' cannot be used with option '--all'/);
  assert.equal(both.stderr.split('\n').length, 2, both.stderr);

  const bare = await copy('alpine', `docker://${target.host}/x/y:z`);
  assert.equal(bare.status, 1);
  assert.match(bare.stderr, /^shale: "alpine" is not docker:\/\/REFERENCE(,| or) oci:DIR\[:REF\]/);
  assert.equal(bare.stderr.split('\n').length, 2, bare.stderr);

  const missing = await copy(
    `oci:${path.join(work, 'nothing')}:x`,
    `docker://${target.host}/x/y:z`,
  );
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /^shale: .*is not an OCI image layout \(no index\.json\)\n$/);

  const image = await smallImage(hostile, 'bad', { bytes: 200 << 10 });
  const damaged = Buffer.from(image.layer);
  damaged[100]! ^= 0x01;
  hostile.misbehave((req, res, route) => {
    if (route.kind !== 'blob' || route.reference !== image.layerDigest) return false;
    res.writeHead(200, { 'content-length': damaged.length });
    res.end(req.method === 'HEAD' ? undefined : damaged);
    return true;
  });
  try {
    const r = await copy(
      '-q',
      `docker://${hostile.host}/h/app:bad`,
      `docker://${target.host}/h/copy:v1`,
    );
    assert.equal(r.status, 1);
    assert.match(
      r.stderr,
      new RegExp(`^shale: .*other content than blob ${image.layerDigest}.*\\n$`),
    );
    const tagged = await fetch(`http://${target.host}/v2/h/copy/manifests/v1`, { method: 'HEAD' });
    assert.equal(tagged.status, 404);
  } finally {
    hostile.misbehave(undefined);
  }
  assert.equal(fs.existsSync(root), false);
});
