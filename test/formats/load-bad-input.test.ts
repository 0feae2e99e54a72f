// Hostile and broken archives: each load fails with a clear `shale: …` error (exit 1) and leaves
// the store exactly as it was — entries outside the archive root, links leading out of it,
// manifest.json naming missing files, layer counts and DiffIDs that disagree with the config,
// truncated archives, decompression bombs (whole archive and single layer), legacy archives with
// IDs that are not legacy IDs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildSharedLayout, loadShared, storeFiles } from '../helpers/archive-images.ts';
import { tarOf, type TarSpec } from '../helpers/archive-tar.ts';
import { runShale } from '../helpers/shale.ts';

const work = fs.mkdtempSync(path.join(tmpdir(), 'shale-bad-load-'));
const root = path.join(work, 'store');
loadShared(buildSharedLayout(work), root);

const sha256 = (bytes: Uint8Array) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

const layer = await tarOf([{ name: 'hello.txt', body: 'hello from a hand-made layer\n' }]);
const otherLayer = await tarOf([{ name: 'other.txt', body: 'another layer\n' }]);

function configFor(...layers: Buffer[]): Buffer {
  return Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: layers.map(sha256) },
    }),
  );
}

function manifestJson(config: string, layers: string[], tags = ['bad/image:1']): string {
  return JSON.stringify([{ Config: config, RepoTags: tags, Layers: layers }]);
}

/** A docker-archive in the 1.10 style, with `extra` entries after the standard ones. */
function dockerArchive(
  options: { config?: Buffer; layers?: string[]; manifest?: string; extra?: TarSpec[] } = {},
): Promise<Buffer> {
  const config = options.config ?? configFor(layer);
  return tarOf([
    { name: 'abc/layer.tar', body: layer },
    { name: 'config.json', body: config },
    ...(options.manifest === undefined
      ? [
          {
            name: 'manifest.json',
            body: manifestJson('config.json', options.layers ?? ['abc/layer.tar']),
          },
        ]
      : []),
    ...(options.extra ?? []),
  ]);
}

function expectRefused(archive: Buffer, message: RegExp, flags: string[] = []): void {
  const before = storeFiles(root);
  const file = path.join(work, `input-${Math.random().toString(36).slice(2)}.tar`);
  fs.writeFileSync(file, archive);
  const r = runShale(['--root', root, 'load', '-i', file, ...flags]);
  assert.equal(r.status, 1, `expected failure, got ${r.status}: ${r.stdout}`);
  assert.match(r.stderr, /^shale: /);
  assert.match(r.stderr, message);
  assert.doesNotMatch(r.stderr, /internal error/);
  assert.deepEqual(storeFiles(root), before, 'the store changed');
  assert.deepEqual(fs.readdirSync(path.join(root, 'shale', 'ingest')), []);
}

test('control: a hand-made archive with an in-scope symlinked layer loads', async () => {
  const archive = await dockerArchive({
    layers: ['link/layer.tar'],
    extra: [{ name: 'link/layer.tar', symlink: '../abc/layer.tar' }],
  });
  const probe = path.join(work, 'probe-store');
  const r = runShale(['--root', probe, 'load', '-i', '-', '--json'], archive);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), [
    { Id: sha256(configFor(layer)), RepoTags: ['bad/image:1'] },
  ]);
});

test('entries outside the archive root are refused', async () => {
  expectRefused(
    await dockerArchive({ extra: [{ name: '../escape', body: 'x' }] }),
    /points outside the archive/,
  );
  expectRefused(
    await dockerArchive({ extra: [{ name: 'a/../../escape', body: 'x' }] }),
    /points outside/,
  );
  expectRefused(
    await dockerArchive({ extra: [{ name: '/etc/escape', body: 'x' }] }),
    /absolute path/,
  );
  expectRefused(
    await dockerArchive({ extra: [{ name: 'h', hardlink: '../../etc/passwd' }] }),
    /outside/,
  );
});

test('symlinked manifest.json or layer paths leading out of the archive are refused', async () => {
  const manifest = manifestJson('config.json', ['abc/layer.tar']);
  expectRefused(
    await dockerArchive({
      manifest: 'none',
      extra: [
        { name: 'real.json', body: manifest },
        { name: 'manifest.json', symlink: '../../../etc/passwd' },
      ],
    }),
    /points outside the archive/,
  );
  expectRefused(
    await dockerArchive({
      manifest: 'none',
      extra: [{ name: 'manifest.json', symlink: '/etc/passwd' }],
    }),
    /absolute path/,
  );
  expectRefused(
    await dockerArchive({ layers: ['up/layer.tar'], extra: [{ name: 'up', symlink: '..' }] }),
    /points outside the archive/,
  );
  expectRefused(
    await dockerArchive({ layers: ['loop/layer.tar'], extra: [{ name: 'loop', symlink: 'loop' }] }),
    /loop of symlinks/,
  );
});

test('manifest.json naming files the archive lacks is refused', async () => {
  expectRefused(
    await dockerArchive({ layers: ['missing/layer.tar'] }),
    /names "missing\/layer\.tar", which the archive does not contain/,
  );
  expectRefused(
    await tarOf([{ name: 'manifest.json', body: manifestJson('nope.json', []) }]),
    /"nope\.json", which the archive does not contain/,
  );
});

test('a layer count that does not match the config is refused', async () => {
  expectRefused(
    await dockerArchive({ config: configFor(layer, otherLayer) }),
    /1 layers given but its config lists 2 diff_ids/,
  );
});

test('a layer whose DiffID is not the one its config lists is refused', async () => {
  expectRefused(
    await dockerArchive({ config: configFor(otherLayer) }),
    /abc\/layer\.tar: layer blob .* uncompresses to .* but the image config says/,
  );
});

test('a truncated archive is refused', async () => {
  const archive = await dockerArchive();
  expectRefused(archive.subarray(0, 1536), /tar stream ended early|unexpected end|truncated/i);
  const gz = execFileSync('gzip', ['-c'], { input: archive });
  expectRefused(gz.subarray(0, gz.length - 20), /corrupt gzip stream|ended early/);
});

test('decompression bombs are refused: the whole archive; one layer by load --verify, else by the first read that decompresses it', async (t) => {
  // A small cap (README: SHALE_MAX_LAYER_BYTES) so that a 48 MiB bomb is one; shale runs inherit it.
  process.env.SHALE_MAX_LAYER_BYTES = String(16 << 20);
  t.after(() => delete process.env.SHALE_MAX_LAYER_BYTES);
  const zeros = await tarOf([{ name: 'zeros', body: Buffer.alloc(48 << 20) }]);
  const bombArchive = await dockerArchive({
    config: configFor(zeros),
    extra: [{ name: 'abc/layer.tar', body: zeros }],
  });
  expectRefused(
    execFileSync('zstd', ['-q', '-c'], { input: bombArchive, maxBuffer: 1 << 28 }),
    /possible decompression bomb/,
  );
  const layerBomb = execFileSync('zstd', ['-q', '-c'], { input: zeros, maxBuffer: 1 << 28 });
  const withLayerBomb = await dockerArchive({
    config: configFor(zeros),
    extra: [{ name: 'abc/layer.tar', body: layerBomb }],
  });
  expectRefused(withLayerBomb, /possible decompression bomb/, ['--verify']);
  // By default the layer's DiffID is the config's claim until a read decompresses it (as pull):
  // that read refuses the bomb and leaves its target as it found it.
  const deferred = path.join(work, 'deferred-store');
  const loaded = runShale(['--root', deferred, 'load', '-i', '-', '-q'], withLayerBomb);
  assert.equal(loaded.status, 0, loaded.stderr);
  const target = path.join(work, 'bomb-rootfs');
  const unpacked = runShale(['--root', deferred, 'unpack', 'bad/image:1', target]);
  assert.equal(unpacked.status, 1, unpacked.stdout);
  assert.match(unpacked.stderr, /^shale: .*possible decompression bomb/m);
  assert.doesNotMatch(unpacked.stderr, /internal error/);
  assert.equal(fs.existsSync(target) && fs.readdirSync(target).length > 0, false);
});

test('an OCI blob that is not what its name says is refused', async () => {
  const fake = `blobs/sha256/${'0'.repeat(64)}`;
  expectRefused(
    await tarOf([
      { name: 'oci-layout', body: '{"imageLayoutVersion":"1.0.0"}' },
      { name: fake, body: 'not that blob' },
      { name: 'index.json', body: '{"schemaVersion":2,"manifests":[]}' },
    ]),
    /is not the blob its name says/,
  );
});

test('a legacy 1.6–1.9 archive with IDs that are not 64 lowercase hex is refused', async () => {
  const id = 'A'.repeat(64);
  expectRefused(
    await tarOf([
      { name: `${id}/VERSION`, body: '1.0' },
      { name: `${id}/json`, body: JSON.stringify({ id }) },
      { name: `${id}/layer.tar`, body: layer },
      { name: 'repositories', body: JSON.stringify({ busybox: { latest: id } }) },
    ]),
    /invalid legacy image directory in the archive "A{64}": expected 64 lowercase hex/,
  );
  expectRefused(await tarOf([{ name: 'README', body: 'hi' }]), /not an image archive/);
});
