// Pull and push against the real Distribution registry (Debian docker-registry) with images the
// project builds and skopeo publishes: trees equal umoci's, pushed manifests keep their digests,
// platform selection, tampered blobs, and a registry that resets, fails and rate-limits.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { snapshot } from '../helpers/changes-tree.ts';
import { buildEdgeImage } from '../helpers/edge-image.ts';
import { startFaultProxy } from '../helpers/fault-proxy.ts';
import { publish, remoteDigest } from '../helpers/publish.ts';
import { startRegistry, storedBlobFile, type TestRegistry } from '../helpers/registry.ts';
import { runShale, runShaleAsync } from '../helpers/shale.ts';
import { linksAndDevices } from '../helpers/tree-facts.ts';
import { buildSmallFixture } from '../helpers/small-fixture.ts';

let registry: TestRegistry;
let work: string;
let layout: string;
let umociTree: string;
let smallLayout: string;

before(async () => {
  work = fs.mkdtempSync(path.join(tmpdir(), 'shale-pull-'));
  layout = path.join(work, 'layout');
  buildEdgeImage(path.join(work, 'trees'), layout);
  execFileSync('umoci', ['unpack', '--image', `${layout}:edge`, path.join(work, 'bundle')]);
  umociTree = path.join(work, 'bundle', 'rootfs');
  smallLayout = path.join(work, 'small');
  await buildSmallFixture(smallLayout);
  registry = await startRegistry();
  await publish(path.join(smallLayout, 'oci'), 'small', `${registry.host}/peers/small:v1`, 'oci');
  await publish(layout, 'edge', `${registry.host}/peers/edge:v2s2`, 'v2s2');
  await publish(layout, 'edge', `${registry.host}/peers/edge:oci`, 'oci');
});

after(async () => {
  await registry?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

function freshStore(): string {
  return fs.mkdtempSync(path.join(work, 'store-'));
}

function shale(root: string, ...args: string[]) {
  const r = runShale(['--root', root, ...args]);
  assert.equal(r.status, 0, `shale ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

/** Everything that makes up the store's visible state (the ingest area aside). */
function visibleState(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of fs.readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      const rel = path.relative(root, full);
      if (rel === path.join('shale', 'ingest') || rel === path.join('shale', 'locks')) continue;
      if (rel === path.join('shale', 'leases')) continue;
      const st = fs.statSync(full);
      if (st.isDirectory()) walk(full);
      else out.push(`${rel} ${st.size} ${fs.readFileSync(full).toString('base64').slice(0, 64)}`);
    }
  };
  walk(root);
  return out;
}

for (const format of ['v2s2', 'oci'] as const) {
  test(`pull (${format}) then unpack equals umoci unpack of the same image`, async () => {
    const root = freshStore();
    const ref = `${registry.host}/peers/edge:${format}`;
    const id = shale(root, 'pull', '-q', ref);
    assert.match(id, /^sha256:[0-9a-f]{64}$/);
    const out = path.join(work, `unpacked-${format}`);
    shale(root, 'unpack', ref, out);
    assert.deepEqual(snapshot(out), snapshot(umociTree));
    assert.deepEqual(linksAndDevices(out), linksAndDevices(umociTree));
    const inspect = JSON.parse(shale(root, 'inspect', '--json', ref)) as [
      { Id: string; RepoDigests: string[] },
    ];
    assert.equal(inspect[0].Id, id);
    assert.deepEqual(inspect[0].RepoDigests, [
      `${registry.host}/peers/edge@${await remoteDigest(ref)}`,
    ]);
  });

  test(`push (${format}) to another repository keeps the manifest digest`, async () => {
    const root = freshStore();
    const source = `${registry.host}/peers/edge:${format}`;
    const dest = `${registry.host}/copies/edge-${format}:again`;
    shale(root, 'pull', '-q', source);
    const pushed = shale(root, 'push', '-q', source, dest);
    const original = await remoteDigest(source);
    assert.equal(pushed, `${dest}@${original}`);
    assert.equal(await remoteDigest(dest), original);
    const back = path.join(work, `copied-back-${format}`);
    execFileSync('skopeo', [
      'copy',
      '--quiet',
      '--src-tls-verify=false',
      '--preserve-digests',
      `docker://${dest}`,
      `oci:${back}:x`,
    ]);
    const index = JSON.parse(fs.readFileSync(path.join(back, 'index.json'), 'utf8')) as {
      manifests: { digest: string }[];
    };
    assert.equal(index.manifests[0]!.digest, original);
  });
}

test('a second push skips every blob, and a push to a new repository mounts them', () => {
  const root = freshStore();
  const source = `${registry.host}/peers/edge:v2s2`;
  shale(root, 'pull', '-q', source);
  const again = runShale(['--root', root, 'push', '--progress', 'plain', source]);
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stderr, /Already exists/);
  assert.doesNotMatch(again.stderr, /Pushing/);
  const mounted = runShale([
    '--root',
    root,
    'push',
    '--progress',
    'plain',
    source,
    `${registry.host}/mounted/edge:v1`,
  ]);
  assert.equal(mounted.status, 0, mounted.stderr);
  assert.equal((mounted.stderr.match(/Mounted from another repository/g) ?? []).length, 3);
});

test('an index with two platforms: --platform picks one; a missing platform is a clear error', async () => {
  const root = freshStore();
  // Two images of the registry become the linux/amd64 and linux/arm64 entries of one index.
  await publish(path.join(smallLayout, 'oci'), 'small', `${registry.host}/multi/app:arm`, 'oci');
  await publish(layout, 'edge', `${registry.host}/multi/app:amd`, 'oci');
  const descriptor = async (tag: string, architecture: string) => {
    const res = await fetch(`http://${registry.host}/v2/multi/app/manifests/${tag}`, {
      headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
    });
    const bytes = Buffer.from(await res.arrayBuffer());
    return {
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: res.headers.get('docker-content-digest'),
      size: bytes.length,
      platform: { os: 'linux', architecture },
    };
  };
  const index = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [await descriptor('amd', 'amd64'), await descriptor('arm', 'arm64')],
  };
  const put = await fetch(`http://${registry.host}/v2/multi/app/manifests/both`, {
    method: 'PUT',
    headers: { 'content-type': 'application/vnd.oci.image.index.v1+json' },
    body: JSON.stringify(index),
  });
  assert.equal(put.status, 201);
  const ref = `${registry.host}/multi/app:both`;
  const arm = shale(root, 'pull', '-q', '--platform', 'linux/arm64', ref);
  const amd = shale(root, 'pull', '-q', '--platform', 'linux/amd64', ref);
  assert.equal(arm, shale(root, 'pull', '-q', `${registry.host}/multi/app:arm`));
  assert.equal(amd, shale(root, 'pull', '-q', `${registry.host}/multi/app:amd`));
  assert.notEqual(arm, amd);
  const missing = runShale(['--root', root, 'pull', '-q', '--platform', 'linux/s390x', ref]);
  assert.equal(missing.status, 1);
  assert.match(
    missing.stderr,
    /^shale: .*has no image for linux\/s390x \(it offers linux\/amd64, linux\/arm64\)/,
  );
  const bad = runShale(['--root', root, 'pull', '--platform', 'linux', ref]);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /^shale: platform "linux" is not os\/arch/);
});

test('a tampered blob in the registry fails the pull with a digest error and changes nothing', async () => {
  const root = freshStore();
  const other = `${registry.host}/tamper/edge:v1`;
  await publish(layout, 'edge', other, 'v2s2');
  // The store already holds another image, which must stay exactly as it is.
  shale(root, 'pull', '-q', `${registry.host}/peers/small:v1`);
  const before = visibleState(root);
  // Flip one byte in the middle of the image's largest layer blob, in the registry's storage.
  const manifest = (await (
    await fetch(`http://${registry.host}/v2/tamper/edge/manifests/v1`, {
      headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' },
    })
  ).json()) as { layers: { digest: string; size: number }[] };
  const layer = manifest.layers.sort((x, y) => y.size - x.size)[0]!;
  const largest = storedBlobFile(registry, layer.digest);
  const bytes = fs.readFileSync(largest);
  const original = Buffer.from(bytes);
  const middle = bytes.length >> 1;
  bytes[middle] = bytes[middle]! ^ 0xff;
  fs.writeFileSync(largest, bytes);
  try {
    const fresh = freshStore();
    shale(fresh, 'images'); // an empty, initialised store
    for (const store of [root, fresh]) {
      const stateBefore = visibleState(store);
      const r = runShale(['--root', store, 'pull', '-q', other]);
      assert.equal(r.status, 1);
      assert.match(
        r.stderr,
        /^shale: blob content hashes to sha256:[0-9a-f]{64}, expected sha256:/,
      );
      assert.deepEqual(visibleState(store), stateBefore);
    }
    assert.deepEqual(visibleState(root), before);
  } finally {
    fs.writeFileSync(largest, original);
  }
});

test('pulls complete through connection resets, 500s and 429 with Retry-After', async () => {
  const proxy = await startFaultProxy(registry.host);
  try {
    proxy.addRule({
      method: 'GET',
      path: /\/blobs\/sha256:/,
      times: 2,
      fault: { kind: 'reset', afterBytes: 1000 },
    });
    proxy.addRule({
      method: 'GET',
      path: /\/manifests\//,
      times: 1,
      fault: { kind: 'status', status: 500 },
    });
    proxy.addRule({
      method: 'HEAD',
      path: /\/manifests\//,
      times: 1,
      fault: { kind: 'status', status: 429, retryAfter: '1' },
    });
    proxy.addRule({
      method: 'GET',
      path: /\/blobs\/sha256:/,
      times: 2,
      fault: { kind: 'status', status: 503 },
    });
    const root = freshStore();
    const ref = `${proxy.host}/peers/edge:v2s2`;
    const r = await runShaleAsync(['--root', root, 'pull', '-q', ref]);
    assert.equal(r.status, 0, r.stderr);
    const out = path.join(work, 'unpacked-through-proxy');
    shale(root, 'unpack', ref, out);
    assert.deepEqual(snapshot(out), snapshot(umociTree));
  } finally {
    await proxy.stop();
  }
});

test('pulling a missing tag or repository names the registry error', () => {
  const root = freshStore();
  const r = runShale(['--root', root, 'pull', '-q', `${registry.host}/peers/edge:nope`]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^shale: .*MANIFEST_UNKNOWN/);
  assert.equal(shale(root, 'images', '--json'), '[]');
  const bad = runShale(['--root', root, 'pull', '-q', 'UPPER/case']);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /^shale: /);
});

test('an imported image (plain layer) is gzip-compressed once at push; a second push reuses it', async () => {
  const root = freshStore();
  const tar = path.join(work, 'rootfs.tar');
  execFileSync('tar', ['-C', path.join(work, 'bundle', 'rootfs'), '-cf', tar, '.']);
  const ref = `${registry.host}/imported/app:v1`;
  shale(root, 'import', tar, ref);
  const first = runShale(['--root', root, 'push', '--progress', 'plain', ref]);
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stderr, /Pushing/);
  const again = runShale(['--root', root, 'push', '--progress', 'plain', ref]);
  assert.equal(again.status, 0, again.stderr);
  assert.doesNotMatch(again.stderr, /Pushing/);
  assert.equal(again.stdout, first.stdout, 'the same manifest digest both times');
  const manifest = (await (
    await fetch(`http://${registry.host}/v2/imported/app/manifests/v1`, {
      headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
    })
  ).json()) as { layers: { mediaType: string }[] };
  assert.deepEqual(
    manifest.layers.map((l) => l.mediaType),
    ['application/vnd.oci.image.layer.v1.tar+gzip'],
  );
  const other = freshStore();
  shale(other, 'pull', '-q', ref);
  const out = path.join(work, 'imported-back');
  shale(other, 'unpack', ref, out);
  assert.deepEqual(snapshot(out), snapshot(path.join(work, 'bundle', 'rootfs')));
});
