// `shale copy` from the built CLI against real Distribution registries and skopeo: registry to
// registry prints DEST@DIGEST (the source's digest, as skopeo reads it at the destination) and
// never creates the store root; `--platform` copies one manifest of an index; an OCI layout
// round trip; bad endpoints and a source whose blob is damaged end with one `shale:` line, exit 1,
// and nothing under the destination tag.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  smallImage,
  startHostileRegistry,
  type HostileRegistry,
} from '../helpers/hostile-registry.ts';
import { publish } from '../helpers/publish.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { runShaleAsync } from '../helpers/shale.ts';
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

async function rawDigest(transportRef: string): Promise<string> {
  const { stdout } = await run('skopeo', ['inspect', '--raw', '--tls-verify=false', transportRef], {
    encoding: 'buffer',
  });
  return `sha256:${createHash('sha256').update(stdout).digest('hex')}`;
}

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

test('bad endpoints and a damaged source blob: one shale: line, exit 1, nothing under the tag', async () => {
  const bare = await copy('alpine', `docker://${target.host}/x/y:z`);
  assert.equal(bare.status, 1);
  assert.match(bare.stderr, /^shale: "alpine" is not docker:\/\/REFERENCE or oci:DIR\[:REF\]/);
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
