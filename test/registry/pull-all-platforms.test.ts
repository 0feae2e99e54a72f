// Whole indexes in the store, against the real Distribution registry: `pull --all-platforms` of a
// two-platform index with a buildx-style attestation manifest stores it whole (one image, for the
// chosen platform; the rest as content), prune keeps it while a reference names the index, push
// sends the index itself byte for byte, `save --format oci` writes the index and `load` of that
// archive keeps it, and rmi then prune frees it all. A layout lacking one platform's blob loads
// the rest, and push says it sends the chosen manifest alone. An index entry that disagrees with
// what the registry serves is refused with the store left as it was.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  buildTwoImages,
  publishTwoPlatforms,
  putAttestation,
  putIndex,
  type TwoImages,
} from '../helpers/multi-platform.ts';
import { remoteDigest } from '../helpers/publish.ts';
import { assertRefused, storeState } from '../helpers/refusal.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { inspectIn as inspect, runShale, shaleIn as shale } from '../helpers/shale.ts';
import { skopeoRaw } from '../helpers/skopeo-inspect.ts';

let registry: TestRegistry;
let work: string;
let images: TwoImages;

before(async () => {
  work = fs.mkdtempSync(path.join(tmpdir(), 'shale-allplatforms-'));
  images = await buildTwoImages(work);
  registry = await startRegistry();
});

after(async () => {
  await registry?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

const sha256 = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** `edge` as linux/amd64, `small` as linux/arm64, published under `repo:amd` and `repo:arm`. */
const publishPlatforms = (repo: string) => publishTwoPlatforms(registry.host, repo, images);

test('pull --all-platforms stores the whole index: prune keeps it, push sends it byte for byte, rmi and prune free it', async () => {
  const host = registry.host;
  const { amd, arm } = await publishPlatforms('multi/all');
  const attestation = await putAttestation(host, 'multi/all', amd.digest);
  const index = await putIndex(host, 'multi/all', 'v1', [amd, arm, attestation]);
  const ref = `${host}/multi/all:v1`;
  const root = fs.mkdtempSync(path.join(work, 'store-'));

  const id = shale(root, 'pull', '-q', '--all-platforms', '--platform', 'linux/amd64', ref).stdout;
  const listed = JSON.parse(shale(root, 'images', '--all', '--json').stdout) as unknown[];
  assert.equal(listed.length, 1, 'one image, for the chosen platform; the rest is content');
  const inspected = JSON.parse(shale(root, 'inspect', '--json', ref).stdout) as {
    Id: string;
    RepoDigests: string[];
  }[];
  assert.equal(inspected[0]!.Id, id);
  assert.deepEqual(inspected[0]!.RepoDigests, [`${host}/multi/all@${index}`]);

  shale(root, 'prune');
  const pushed = shale(root, 'push', '--progress', 'plain', ref, `${host}/copy/all:v1`);
  assert.equal(pushed.stdout, `${host}/copy/all:v1@${index}`);
  assert.match(pushed.stderr, new RegExp(`Pushed index ${index} with all 3 of its manifests`));
  assert.equal(await remoteDigest(`${host}/copy/all:v1`), index);
  for (const entry of [amd, arm, attestation]) {
    const served = await fetch(`http://${host}/v2/copy/all/manifests/${entry.digest}`, {
      headers: { accept: entry.mediaType },
    });
    assert.equal(served.status, 200, `manifest ${entry.digest} at the destination`);
    assert.equal(served.headers.get('docker-content-digest'), entry.digest);
  }

  // Pulled again: nothing is fetched, every blob is there.
  const again = shale(
    root,
    'pull',
    '--progress',
    'plain',
    '--all-platforms',
    ref,
    '--platform',
    'linux/amd64',
  );
  assert.doesNotMatch(again.stderr, /: (Downloading|Downloaded)/);
  const count = (word: string) => again.stderr.split(`: ${word}\n`).length - 1;
  assert.ok(count('Already exists') > count('Done'), "the other platforms' blobs are found too");
  assert.match(again.stderr, /Status: Image is up to date/);

  // Saved as an oci-archive, the reference names the index; loaded elsewhere, it pushes whole.
  const archive = path.join(work, 'all.oci.tar');
  shale(root, 'save', '--format', 'oci', '-o', archive, ref);
  assert.equal(sha256(await skopeoRaw(`oci-archive:${archive}:${ref}`)), index);
  const loaded = fs.mkdtempSync(path.join(work, 'store-'));
  shale(loaded, 'load', '-i', archive);
  assert.equal(inspect(loaded, ref).Id, id);
  shale(loaded, 'prune');
  const fromLoad = shale(loaded, 'push', '--progress', 'plain', ref, `${host}/copy/loaded:v1`);
  assert.match(fromLoad.stderr, new RegExp(`Pushed index ${index} with all 3 of its manifests`));
  assert.equal(await remoteDigest(`${host}/copy/loaded:v1`), index);

  shale(root, 'rmi', ref);
  shale(root, 'prune');
  assert.deepEqual(
    storeState(root).blobs,
    [],
    'with no reference naming the index, prune frees it',
  );
});

test('a layout whose index lacks one platform loads the platforms it holds: push then sends the chosen manifest alone, saying so', async () => {
  const host = registry.host;
  const { amd, arm } = await publishPlatforms('multi/part');
  const index = await putIndex(host, 'multi/part', 'v1', [amd, arm]);
  const dir = path.join(work, 'part-layout');
  const root = fs.mkdtempSync(path.join(work, 'store-'));
  shale(root, 'copy', '-q', `docker://${host}/multi/part:v1`, `oci:${dir}:example.com/part:v1`);
  const armManifest = JSON.parse(
    (await skopeoRaw(`docker://${host}/multi/part@${arm.digest}`)).toString('utf8'),
  ) as { layers: { digest: string }[] };
  fs.rmSync(path.join(dir, 'blobs', 'sha256', armManifest.layers[0]!.digest.slice(7)));

  shale(root, 'load', '-i', dir);
  const pushed = shale(
    root,
    'push',
    '--progress',
    'plain',
    'example.com/part:v1',
    `${host}/copy/part:v1`,
  );
  assert.match(
    pushed.stderr,
    new RegExp(
      `Pushed manifest ${amd.digest} for linux/amd64 alone: this store holds 1 of the 2 manifests index ${index} lists`,
    ),
  );
  assert.equal(await remoteDigest(`${host}/copy/part:v1`), amd.digest);
});

test('an index entry that disagrees with what the registry serves: pull --all-platforms refuses and the store is as it was', async () => {
  const host = registry.host;
  const { amd, arm } = await publishPlatforms('multi/bad');
  const good = `${host}/multi/bad:good`;
  await putIndex(host, 'multi/bad', 'good', [amd, arm]);
  await putIndex(host, 'multi/bad', 'bad', [amd, { ...arm, size: arm.size + 1 }]);
  const root = fs.mkdtempSync(path.join(work, 'store-'));
  shale(root, 'pull', '-q', '--platform', 'linux/amd64', good);
  const before = storeState(root);

  const bad = runShale(['--root', root, 'pull', '-q', '--all-platforms', `${host}/multi/bad:bad`]);
  assertRefused(
    bad,
    new RegExp(`manifest ${arm.digest} is ${arm.size} bytes, but the index says ${arm.size + 1}`),
  );
  assert.deepEqual(storeState(root), before);
  // Without --all-platforms only the chosen platform is read: the same index pulls.
  shale(root, 'pull', '-q', '--platform', 'linux/amd64', `${host}/multi/bad:bad`);
});
