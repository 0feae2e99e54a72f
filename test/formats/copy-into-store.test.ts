// `shale copy SRC store:REF` against a real Distribution registry, with skopeo and the store's
// own push as oracles: an OCI layout copied in becomes the image a pull would make (its ID the
// config digest, the manifest digest kept, its tree unpacks), and pushes back byte for byte; a
// two-platform index copied in keeps the whole index, so that after a prune a push still sends
// the index itself; a damaged blob, a config that disagrees with its manifest, and a digest
// reference that is not the copy's are refused with the store exactly as it was.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
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
import { assertRefused, storeState } from '../helpers/refusal.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { inspectIn as inspect, runShale, shaleIn as shale } from '../helpers/shale.ts';
import { skopeoRaw } from '../helpers/skopeo-inspect.ts';

let registry: TestRegistry;
let work: string;
let images: TwoImages;
let small: string;

before(async () => {
  work = fs.mkdtempSync(path.join(tmpdir(), 'shale-copy-into-'));
  images = await buildTwoImages(work);
  small = images.small;
  registry = await startRegistry();
});

after(async () => {
  await registry?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

const sha256 = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** A copy of the `small` layout in which `edit` may change the config (re-digested throughout). */
function editedLayout(name: string, edit: (config: Record<string, unknown>) => void): string {
  const dir = path.join(work, name);
  fs.cpSync(small, dir, { recursive: true });
  const blob = (digest: string) => path.join(dir, 'blobs', 'sha256', digest.slice(7));
  const put = (value: unknown) => {
    const bytes = Buffer.from(JSON.stringify(value));
    fs.writeFileSync(blob(sha256(bytes)), bytes);
    return { digest: sha256(bytes), size: bytes.length };
  };
  const index = JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8')) as {
    manifests: { digest: string; size: number }[];
  };
  const entry = index.manifests[0]!;
  const manifest = JSON.parse(fs.readFileSync(blob(entry.digest), 'utf8')) as {
    config: { digest: string; size: number };
  };
  const config = JSON.parse(fs.readFileSync(blob(manifest.config.digest), 'utf8')) as Record<
    string,
    unknown
  >;
  edit(config);
  manifest.config = { ...manifest.config, ...put(config) };
  Object.assign(entry, put(manifest));
  fs.writeFileSync(path.join(dir, 'index.json'), JSON.stringify(index));
  return dir;
}

test('a layout copied into the store is the image a pull makes: digest kept, tree unpacked, pushed back byte for byte', async () => {
  const root = fs.mkdtempSync(path.join(work, 'store-'));
  const expected = sha256(await skopeoRaw(`oci:${small}:small`));
  const copied = shale(root, 'copy', '-q', `oci:${small}:small`, 'store:example.com/small:1');
  assert.equal(copied.stdout, `store:example.com/small:1@${expected}`);
  const manifest = JSON.parse((await skopeoRaw(`oci:${small}:small`)).toString('utf8')) as {
    config: { digest: string };
  };
  const image = inspect(root, 'example.com/small:1');
  assert.equal(image.Id, manifest.config.digest, 'the image ID is the config digest');
  assert.deepEqual(image.RepoDigests, [`example.com/small@${expected}`]);

  // The same image pulled from a registry into another store has the same ID.
  await publish(small, 'small', `${registry.host}/into/small:1`, 'oci');
  const other = fs.mkdtempSync(path.join(work, 'store-'));
  assert.equal(shale(other, 'pull', '-q', `${registry.host}/into/small:1`).stdout, image.Id);

  // Its layers' DiffIDs are checked by the first read that decompresses them: unpack reads them.
  const tree = path.join(work, 'small-tree');
  shale(root, 'unpack', 'example.com/small:1', tree);
  const pulledTree = path.join(work, 'small-tree-pulled');
  shale(other, 'unpack', `${registry.host}/into/small:1`, pulledTree);
  assert.deepEqual(fs.readdirSync(tree).sort(), fs.readdirSync(pulledTree).sort());

  shale(root, 'push', '-q', 'example.com/small:1', `${registry.host}/into/back:1`);
  assert.equal(await remoteDigest(`${registry.host}/into/back:1`), expected);
});

test('a two-platform index copied into the store keeps the whole index: after a prune, push sends the index itself', async () => {
  const host = registry.host;
  const { amd, arm } = await publishTwoPlatforms(host, 'into/multi', images);
  const index = await putIndex(host, 'into/multi', 'both', [amd, arm]);
  const root = fs.mkdtempSync(path.join(work, 'store-'));

  const copied = shale(
    root,
    'copy',
    `docker://${host}/into/multi:both`,
    `store:${host}/x/multi:v1`,
  );
  assert.equal(copied.stdout, `store:${host}/x/multi:v1@${index}`);
  assert.match(copied.stderr, /Copied index .* with all 2 of its manifests, as image sha256:/);
  const listed = JSON.parse(shale(root, 'images', '--all', '--json').stdout) as unknown[];
  assert.equal(listed.length, 1, 'one image, for this machine; the other platform is content');
  assert.deepEqual(inspect(root, `${host}/x/multi:v1`).RepoDigests, [`${host}/x/multi@${index}`]);

  shale(root, 'prune');
  const pushed = shale(
    root,
    'push',
    '--progress',
    'plain',
    `${host}/x/multi:v1`,
    `${host}/x/out:v1`,
  );
  assert.equal(pushed.stdout, `${host}/x/out:v1@${index}`);
  assert.match(pushed.stderr, new RegExp(`Pushed index ${index} with all 2 of its manifests`));
  assert.equal(await remoteDigest(`${host}/x/out:v1`), index);
});

test('a damaged blob, a config that disagrees with its manifest, a digest that is not the copy’s: refused, the store as it was', async () => {
  const root = fs.mkdtempSync(path.join(work, 'store-'));
  shale(root, 'copy', '-q', `oci:${small}:small`, 'store:example.com/before:1');
  const before = storeState(root);

  const damaged = path.join(work, 'damaged');
  fs.cpSync(small, damaged, { recursive: true });
  const manifest = JSON.parse((await skopeoRaw(`oci:${small}:small`)).toString('utf8')) as {
    layers: { digest: string }[];
  };
  const layer = path.join(damaged, 'blobs', 'sha256', manifest.layers.at(-1)!.digest.slice(7));
  const bytes = fs.readFileSync(layer);
  bytes[bytes.length >> 1]! ^= 0xff;
  fs.writeFileSync(layer, bytes);
  const other = fs.mkdtempSync(path.join(work, 'store-'));
  const otherBefore = storeState(other);
  assertRefused(
    runShale(['--root', other, 'copy', '-q', `oci:${damaged}:small`, 'store:example.com/bad:1']),
    /hashes to|digest/,
  );
  assert.deepEqual(storeState(other), otherBefore);

  const extra = editedLayout('extra-diffid', (config) => {
    const rootfs = config.rootfs as { diff_ids: string[] };
    rootfs.diff_ids.push(rootfs.diff_ids[0]!);
    delete config.history; // else the config itself is refused, before the manifest is compared
  });
  assertRefused(
    runShale(['--root', root, 'copy', '-q', `oci:${extra}:small`, 'store:example.com/bad:2']),
    /the manifest lists \d+ layers but the config \d+ diff_ids/,
  );
  assert.deepEqual(storeState(root), before);

  const wrong = `sha256:${'0'.repeat(64)}`;
  assertRefused(
    runShale([
      '--root',
      root,
      'copy',
      '-q',
      `oci:${small}:small`,
      `store:example.com/bad@${wrong}`,
    ]),
    new RegExp(`names ${wrong}, but the copy's manifest is sha256:`),
  );
  assert.deepEqual(storeState(root), before);
});
