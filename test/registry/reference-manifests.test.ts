// References name the manifest they were pulled with, against the real Distribution registry and
// skopeo: one image pulled as Docker schema2 and as OCI under two tags keeps both manifests, and
// each tag pushes its own, byte for byte; a two-platform index pulled for one platform keeps the
// index (RepoDigests, `name@<index digest>`), and push sends the platform manifest alone, or the
// index once every platform is in the store, saying which.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  buildTwoImages,
  publishTwoPlatforms,
  putIndex,
  type TwoImages,
} from '../helpers/multi-platform.ts';
import { publish, remoteDigest } from '../helpers/publish.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { inspectIn as inspect, runShale, shaleIn as shale } from '../helpers/shale.ts';

let registry: TestRegistry;
let work: string;
let images: TwoImages;
let edge: string;

before(async () => {
  work = fs.mkdtempSync(path.join(tmpdir(), 'shale-refmanifests-'));
  images = await buildTwoImages(work);
  edge = images.edge;
  registry = await startRegistry();
});

after(async () => {
  await registry?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

test('one image pulled as schema2 and as OCI: each tag pushes the manifest it was pulled with', async () => {
  const root = fs.mkdtempSync(path.join(work, 'store-'));
  const host = registry.host;
  await publish(edge, 'edge', `${host}/two/x:a`, 'v2s2');
  await publish(edge, 'edge', `${host}/two/x:b`, 'oci');
  const schema2 = await remoteDigest(`${host}/two/x:a`);
  const oci = await remoteDigest(`${host}/two/x:b`);
  assert.notEqual(schema2, oci);
  const a = shale(root, 'pull', '-q', `${host}/two/x:a`).stdout;
  const b = shale(root, 'pull', '-q', `${host}/two/x:b`).stdout;
  assert.equal(a, b, 'the same config: the same image');
  assert.deepEqual(
    inspect(root, a).RepoDigests.sort(),
    [`${host}/two/x@${schema2}`, `${host}/two/x@${oci}`].sort(),
  );

  // Garbage collection keeps every manifest a reference names.
  shale(root, 'prune');
  // In either order, each push sends the manifest its own tag was pulled with.
  shale(root, 'push', '-q', `${host}/two/x:b`, `${host}/copy/b:b`);
  shale(root, 'push', '-q', `${host}/two/x:a`, `${host}/copy/a:a`);
  assert.equal(await remoteDigest(`${host}/copy/b:b`), oci);
  assert.equal(await remoteDigest(`${host}/copy/a:a`), schema2);

  // A tag made from a reference names the same manifest; an OCI save keeps each tag's digest.
  shale(root, 'tag', `${host}/two/x:b`, 'local/x:b');
  shale(root, 'push', '-q', 'local/x:b', `${host}/copy/tagged:b`);
  assert.equal(await remoteDigest(`${host}/copy/tagged:b`), oci);
  const dir = path.join(work, 'saved');
  shale(root, 'save', `${host}/two/x:a`, `${host}/two/x:b`, '--format', 'oci-dir', '-o', dir);
  const index = JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8')) as {
    manifests: { digest: string; annotations: Record<string, string> }[];
  };
  const byRef: Record<string, string> = {};
  for (const m of index.manifests)
    byRef[m.annotations['org.opencontainers.image.ref.name']!] = m.digest;
  assert.deepEqual(byRef, { [`${host}/two/x:a`]: schema2, [`${host}/two/x:b`]: oci });

  // Loaded back into a new store, each tag names its manifest again.
  const other = fs.mkdtempSync(path.join(work, 'store-'));
  shale(other, 'load', '-i', dir);
  shale(other, 'push', '-q', `${host}/two/x:a`, `${host}/copy/loaded:a`);
  assert.equal(await remoteDigest(`${host}/copy/loaded:a`), schema2);
});

/** A two-platform OCI index of the `edge` (amd64) and `small` (arm64) images, tagged `both`. */
async function publishIndex(repo: string): Promise<{ index: string; amd: string; arm: string }> {
  const { amd, arm } = await publishTwoPlatforms(registry.host, repo, images);
  const index = await putIndex(registry.host, repo, 'both', [amd, arm]);
  return { index, amd: amd.digest, arm: arm.digest };
}

test('a two-platform index pulled for one platform: RepoDigests has the index digest, name@<index digest> unpacks, push says what it sent', async () => {
  const root = fs.mkdtempSync(path.join(work, 'store-'));
  const host = registry.host;
  const { index, amd, arm } = await publishIndex('multi/app');
  const ref = `${host}/multi/app:both`;
  const id = shale(root, 'pull', '-q', '--platform', 'linux/arm64', ref).stdout;
  assert.deepEqual(inspect(root, ref).RepoDigests, [`${host}/multi/app@${index}`]);
  assert.equal(inspect(root, `${host}/multi/app@${index}`).Id, id);
  assert.equal(inspect(root, `${host}/multi/app@${arm}`).Id, id, 'the platform manifest too');
  const elsewhere = runShale(['--root', root, 'inspect', `${host}/other/app@${arm}`]);
  assert.equal(elsewhere.status, 1, 'only within its own repository');
  // No reference is named so: rmi says so and removes nothing.
  const rmi = runShale(['--root', root, 'rmi', `${host}/multi/app@${arm}`]);
  assert.equal(rmi.status, 1);
  assert.match(rmi.stderr, new RegExp(`^shale: no such image: ${host}/multi/app@${arm}`));
  assert.equal(inspect(root, ref).Id, id);
  const tree = path.join(work, 'by-index-digest');
  shale(root, 'unpack', `${host}/multi/app@${index}`, tree);
  assert.ok(fs.readdirSync(tree).length > 0);

  const alone = shale(root, 'push', '--progress', 'plain', ref, `${host}/copy/app:one`);
  assert.equal(alone.stdout, `${host}/copy/app:one@${arm}`);
  assert.match(
    alone.stderr,
    new RegExp(
      `Pushed manifest ${arm} for linux/arm64 alone: this store holds 1 of the 2 manifests index ${index} lists`,
    ),
  );
  assert.equal(await remoteDigest(`${host}/copy/app:one`), arm);

  // With the other platform pulled too, the index goes up, byte for byte.
  shale(root, 'pull', '-q', '--platform', 'linux/amd64', `${host}/multi/app@${amd}`);
  const both = shale(root, 'push', '--progress', 'plain', ref, `${host}/copy/app:all`);
  assert.equal(both.stdout, `${host}/copy/app:all@${index}`);
  assert.match(both.stderr, new RegExp(`Pushed index ${index} with all 2 of its manifests`));
  const served = await fetch(`http://${host}/v2/copy/app/manifests/all`, {
    headers: { accept: 'application/vnd.oci.image.index.v1+json' },
  });
  assert.equal(served.headers.get('docker-content-digest'), index);
  assert.equal(served.headers.get('content-type'), 'application/vnd.oci.image.index.v1+json');
});
