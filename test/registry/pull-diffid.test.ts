// DiffIDs on pull: by default a pulled layer's DiffID is the config's claim, checked by the first
// read that decompresses the layer (unpack, save, --unpack); `--verify` checks while downloading.
// Images are put into a real Distribution registry by hand, one with a config that lies about
// the DiffID of a layer whose blob digest is right.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { runShale } from '../helpers/shale.ts';

let registry: TestRegistry;
let work: string;
/** The two layer tars both images are made of. */
let layers: Buffer[];

const sha256 = (bytes: Buffer): string =>
  `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** An uncompressed layer tar holding one file, made by GNU tar. */
function layerTar(name: string, content: string): Buffer {
  const dir = fs.mkdtempSync(path.join(work, 'layer-'));
  fs.writeFileSync(path.join(dir, name), content);
  return execFileSync('tar', ['-C', dir, '--owner=0', '--group=0', '-cf', '-', name]);
}

async function putBlob(repo: string, bytes: Buffer): Promise<string> {
  const digest = sha256(bytes);
  const base = `http://${registry.host}`;
  const started = await fetch(`${base}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  assert.equal(started.status, 202);
  const location = new URL(started.headers.get('location')!, base);
  location.searchParams.set('digest', digest);
  const put = await fetch(location, { method: 'PUT', body: bytes });
  assert.equal(put.status, 201);
  return digest;
}

/** Publish a schema2 image of gzip layers whose config names `diffIds`. */
async function putImage(ref: string, layers: Buffer[], diffIds: string[]): Promise<void> {
  const [repo, tag] = ref.split(':') as [string, string];
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: {},
      rootfs: { type: 'layers', diff_ids: diffIds },
    }),
  );
  const blobs = layers.map((tar) => gzipSync(tar));
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: {
      mediaType: 'application/vnd.docker.container.image.v1+json',
      digest: await putBlob(repo, config),
      size: config.length,
    },
    layers: await Promise.all(
      blobs.map(async (gz) => ({
        mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
        digest: await putBlob(repo, gz),
        size: gz.length,
      })),
    ),
  };
  const put = await fetch(`http://${registry.host}/v2/${repo}/manifests/${tag}`, {
    method: 'PUT',
    headers: { 'content-type': manifest.mediaType },
    body: JSON.stringify(manifest),
  });
  assert.equal(put.status, 201);
}

before(async () => {
  work = fs.mkdtempSync(path.join(tmpdir(), 'shale-pull-diffid-'));
  registry = await startRegistry();
  layers = [layerTar('a.txt', 'first layer\n'), layerTar('b.txt', 'second\n')];
  await putImage('diffid/honest:v1', layers, layers.map(sha256));
  // The second layer's blob is right, but the config claims another layer's DiffID for it.
  await putImage('diffid/lying:v1', layers, [sha256(layers[0]!), sha256(Buffer.from('other'))]);
});

after(async () => {
  await registry?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

function freshStore(): string {
  const root = fs.mkdtempSync(path.join(work, 'store-'));
  assert.equal(runShale(['--root', root, 'images']).status, 0);
  return root;
}

function shale(root: string, ...args: string[]): string {
  const r = runShale(['--root', root, ...args]);
  assert.equal(r.status, 0, `shale ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

/** The store's files with their bytes (ingest, locks and leases aside). */
function visibleState(root: string): Map<string, string> {
  const state = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (['ingest', 'locks', 'leases'].includes(entry.name)) continue;
      if (entry.isDirectory()) walk(full);
      else state.set(path.relative(root, full), sha256(fs.readFileSync(full)));
    }
  };
  walk(root);
  return state;
}

function blobInfo(root: string, blob: string): { diffId: string; unverified?: boolean } & object {
  const file = path.join(root, 'shale', 'blobinfo', 'sha256', `${blob.slice(7)}.json`);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as { diffId: string; unverified?: boolean };
}

/** The stored blob of each layer (read from the store's files: `inspect` would settle claims). */
function layerBlobs(root: string, diffIds: string[]): string[] {
  return diffIds.map((diffId) => {
    const dir = path.join(root, 'shale', 'diffids', 'sha256', diffId.slice(7));
    return fs.readdirSync(dir)[0]!.replace('-', ':');
  });
}

test('a pull records the DiffIDs as claims; the first unpack checks them and settles the sizes', () => {
  const root = freshStore();
  const ref = `${registry.host}/diffid/honest:v1`;
  const id = shale(root, 'pull', '-q', ref);
  const blobs = layerBlobs(root, layers.map(sha256));
  for (const [i, blob] of blobs.entries()) {
    assert.deepEqual(blobInfo(root, blob), {
      diffId: sha256(layers[i]!),
      compression: 'gzip',
      uncompressedSize: layers[i]!.length, // the gzip trailer's figure
      unverified: true,
      sources: [`${registry.host}/diffid/honest`],
    });
  }
  const out = path.join(work, 'honest-tree');
  shale(root, 'unpack', ref, out);
  assert.deepEqual(fs.readdirSync(out).sort(), ['a.txt', 'b.txt']);
  for (const [i, blob] of blobs.entries()) {
    const info = blobInfo(root, blob);
    assert.equal(info.unverified, undefined);
    assert.equal(info.diffId, sha256(layers[i]!));
  }
  // A save after a lazy pull writes layers that load back with the same image ID.
  const archive = path.join(work, 'honest.tar');
  shale(root, 'save', '-o', archive, ref);
  const other = freshStore();
  shale(other, 'load', '-i', archive);
  const [loaded] = JSON.parse(shale(other, 'inspect', '--json', ref)) as [{ Id: string }];
  assert.equal(loaded.Id, id);
});

test('--verify and --unpack refuse a config that lies about a DiffID, and change nothing', () => {
  const root = freshStore();
  // The blobs are in the store already, read through (so nothing is left to learn about them).
  shale(root, 'pull', '-q', '--unpack', `${registry.host}/diffid/honest:v1`);
  const ref = `${registry.host}/diffid/lying:v1`;
  for (const flag of ['--verify', '--unpack']) {
    const before = visibleState(root);
    const r = runShale(['--root', root, 'pull', '-q', flag, ref]);
    assert.equal(r.status, 1, flag);
    assert.match(
      r.stderr,
      /^shale: layer blob sha256:[0-9a-f]{64} uncompresses to sha256:[0-9a-f]{64}, but the image config (it was pulled with )?says sha256:[0-9a-f]{64}/,
    );
    assert.deepEqual(visibleState(root), before, flag);
  }
});

test('a lazily pulled image whose config lies fails its first unpack and save; the truth wins', () => {
  const root = freshStore();
  const lying = `${registry.host}/diffid/lying:v1`;
  shale(root, 'pull', '-q', lying);
  const out = path.join(work, 'lying-tree');
  const unpack = runShale(['--root', root, 'unpack', lying, out]);
  assert.equal(unpack.status, 1);
  assert.match(unpack.stderr, /^shale: layer blob .* but the image config it was pulled with says/);
  assert.equal(fs.existsSync(out), false, 'a failed unpack takes back what it wrote');
  const archive = path.join(work, 'lying.tar');
  const save = runShale(['--root', root, 'save', '-o', archive, lying]);
  assert.equal(save.status, 1);
  assert.equal(fs.existsSync(archive), false);
  // The honest image with the same blobs pulls and unpacks in the same store.
  const honest = `${registry.host}/diffid/honest:v1`;
  shale(root, 'pull', '-q', honest);
  const tree = path.join(work, 'honest-after-lying');
  shale(root, 'unpack', honest, tree);
  assert.equal(fs.readFileSync(path.join(tree, 'b.txt'), 'utf8'), 'second\n');
});
