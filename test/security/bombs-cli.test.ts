// Issue 15.2: decompression bombs on the real paths. Every command that decompresses stored or
// remote bytes refuses a layer past SHALE_MAX_LAYER_BYTES (small here, so the bomb stays small: a
// 24 MiB zero-filled tar, 24 KiB gzip'd, with a correct DiffID) and leaves the store as it was:
// every file outside ingest/ byte-identical, `images --json` the same.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  assertCleanFailure,
  storeState,
  storeWithAnImage,
  withUnchangedStore,
} from '../helpers/hostile-pull.ts';
import { publish } from '../helpers/publish.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { runShaleAsync, type ShaleRun } from '../helpers/shale.ts';

const CAP = { SHALE_MAX_LAYER_BYTES: String(4 << 20) };
const REFUSED = /decompresses to more than 4194304 bytes: possible decompression bomb/;

const work = mkdtempSync(path.join(tmpdir(), 'shale-bombs-cli-'));
const bombTgz = path.join(work, 'bomb.tar.gz');
const layout = path.join(work, 'oci');
const lyingLayout = path.join(work, 'oci-lying');
let registry: TestRegistry;
let remote: string;

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** An OCI layout holding one image, `bomb`, of one gzip layer whose config claims `diffId`. */
function writeLayout(dir: string, layerBytes: Buffer, diffId: string): void {
  mkdirSync(path.join(dir, 'blobs', 'sha256'), { recursive: true });
  const writeBlob = (bytes: Buffer): { digest: string; size: number } => {
    const hex = sha256(bytes);
    writeFileSync(path.join(dir, 'blobs', 'sha256', hex), bytes);
    return { digest: `sha256:${hex}`, size: bytes.length };
  };
  const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));
  const rootfs = { type: 'layers', diff_ids: [diffId] };
  const config = writeBlob(json({ architecture: 'amd64', os: 'linux', config: {}, rootfs }));
  const manifest = writeBlob(
    json({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: [
        { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...writeBlob(layerBytes) },
      ],
    }),
  );
  writeFileSync(path.join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const annotations = { 'org.opencontainers.image.ref.name': 'bomb' };
  const entry = {
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    ...manifest,
    annotations,
  };
  writeFileSync(
    path.join(dir, 'index.json'),
    JSON.stringify({ schemaVersion: 2, manifests: [entry] }),
  );
}

/** The bomb: a tar holding one 24 MiB file of zeros, gzip -9 (about 24 KiB), as an OCI image. */
function makeBomb(): void {
  const tree = path.join(work, 'tree');
  mkdirSync(tree);
  writeFileSync(path.join(tree, 'zeros'), Buffer.alloc(24 << 20));
  const tar = execFileSync('tar', ['-C', tree, '--numeric-owner', '-cf', '-', '.'], {
    maxBuffer: 64 << 20,
  });
  const tgz = execFileSync('gzip', ['-9nc'], { input: tar, maxBuffer: 64 << 20 });
  assert.ok(tgz.length < tar.length / 500, `not a bomb: ${tgz.length} of ${tar.length} bytes`);
  writeFileSync(bombTgz, tgz);
  writeLayout(layout, tgz, `sha256:${sha256(tar)}`);
  writeLayout(lyingLayout, tgz, `sha256:${sha256(Buffer.from('another layer'))}`);
}

before(async () => {
  makeBomb();
  registry = await startRegistry();
  remote = `${registry.host}/bombs/app:1`;
  await publish(layout, 'bomb', remote, 'v2s2');
});

after(async () => {
  await registry?.stop();
  rmSync(work, { recursive: true, force: true });
});

const shale = (root: string, args: string[], env: Record<string, string> = {}): Promise<ShaleRun> =>
  runShaleAsync(['--root', root, ...args], { env });

async function ok(root: string, args: string[]): Promise<void> {
  const r = await shale(root, args);
  assert.equal(r.status, 0, r.stderr);
}

/**
 * A store holding an image and the bomb image as pulled, whose state is then compared before and
 * after `act`. `images` (run by storeState) counts the layer's size, reading it through once
 * without the cap: that is done first, so that the comparison sees only what `act` changed.
 */
async function withPulledBomb(act: (root: string) => Promise<void>): Promise<void> {
  const { root, cleanup } = await storeWithAnImage();
  try {
    await ok(root, ['pull', '-q', remote]);
    await ok(root, ['images']);
    const before = await storeState(root);
    await act(root);
    assert.deepEqual(await storeState(root), before, 'the store changed');
  } finally {
    cleanup();
  }
}

test('bomb: pull --verify refuses it (checked as it downloads)', async () => {
  await withUnchangedStore(async (root) => {
    assertCleanFailure(await shale(root, ['pull', '-q', '--verify', remote], CAP), REFUSED);
  });
});

test('bomb: pull --unpack refuses it', async () => {
  await withUnchangedStore(async (root) => {
    assertCleanFailure(await shale(root, ['pull', '-q', '--unpack', remote], CAP), REFUSED);
  });
});

test('bomb: unpack of a pulled image refuses it', async () => {
  await withPulledBomb(async (root) => {
    const dir = path.join(work, 'unpack-pulled');
    assertCleanFailure(await shale(root, ['unpack', remote, dir], CAP), REFUSED);
  });
});

test('bomb: checkout of a pulled image refuses it', async () => {
  await withPulledBomb(async (root) => {
    const dir = path.join(work, 'checkout-pulled');
    assertCleanFailure(await shale(root, ['checkout', remote, dir], CAP), REFUSED);
  });
});

test('bomb: save of a pulled image refuses it', async () => {
  await withPulledBomb(async (root) => {
    const out = path.join(work, 'saved.tar');
    assertCleanFailure(await shale(root, ['save', remote, '-o', out], CAP), REFUSED);
  });
});

test('bomb: the TarSum of a pulled layer (save --format docker-legacy) refuses it', async () => {
  await withPulledBomb(async (root) => {
    const out = path.join(work, 'legacy.tar');
    const args = ['save', remote, '--format', 'docker-legacy', '-o', out];
    assertCleanFailure(await shale(root, args, CAP), REFUSED);
  });
});

test('bomb: load --verify refuses it and leaves no diffids/ or blobinfo/ entry behind', async () => {
  await withUnchangedStore(async (root) => {
    const args = ['load', '-q', '--verify', '-i', layout];
    assertCleanFailure(await shale(root, args, CAP), REFUSED);
  });
});

const LYING = /uncompresses to sha256:[0-9a-f]{64}|DiffID/;

test('a load --verify refused for a DiffID the layer does not have leaves no diffids/ entry behind', async () => {
  await withUnchangedStore(async (root) => {
    const r = await shale(root, ['load', '-q', '--verify', '-i', lyingLayout]);
    assertCleanFailure(r, LYING);
  });
});

test('a layer whose DiffID is not what its config says, loaded without --verify, is refused by its first unpack, which leaves its target empty', async () => {
  const { root, cleanup } = await storeWithAnImage();
  try {
    await ok(root, ['load', '-q', '--name', 'local/lying', '-i', lyingLayout]);
    const dir = path.join(work, 'unpack-lying');
    assertCleanFailure(await shale(root, ['unpack', 'local/lying:bomb', dir]), LYING);
    assert.equal(existsSync(dir) && readdirSync(dir).length > 0, false, 'the target was written');
    await ok(root, ['images']);
  } finally {
    cleanup();
  }
});

test('bomb: the first unpack after a load refuses it', async () => {
  const { root, cleanup } = await storeWithAnImage();
  try {
    await ok(root, ['load', '-q', '--name', 'local/bomb', '-i', layout]);
    await ok(root, ['images']);
    const before = await storeState(root);
    const dir = path.join(work, 'unpack-loaded');
    assertCleanFailure(await shale(root, ['unpack', 'local/bomb:bomb', dir], CAP), REFUSED);
    assert.deepEqual(await storeState(root), before, 'the store changed');
  } finally {
    cleanup();
  }
});

test('bomb: import refuses a gzip tar that inflates past the cap', async () => {
  await withUnchangedStore(async (root) => {
    assertCleanFailure(await shale(root, ['import', bombTgz, 'bomb:imported'], CAP), REFUSED);
  });
});

test('bomb: diffid of a file refuses it', async () => {
  const r = await runShaleAsync(['diffid', bombTgz], { env: CAP });
  assertCleanFailure(r, REFUSED);
});

test('not a bomb: with the default limits every path takes the same layer', async () => {
  const { root, cleanup } = await storeWithAnImage();
  try {
    await ok(root, ['pull', '-q', '--verify', remote]);
    await ok(root, ['unpack', remote, path.join(work, 'default-unpack')]);
    const file = readFileSync(path.join(work, 'default-unpack', 'zeros'));
    assert.equal(file.length, 24 << 20);
    await ok(root, ['import', bombTgz, 'bomb:imported']);
    await ok(root, ['save', remote, '--format', 'docker-legacy', '-o', path.join(work, 'ok.tar')]);
  } finally {
    cleanup();
  }
});

test('a limit set to something other than a number is refused by name', async () => {
  const r = await runShaleAsync(['diffid', bombTgz], { env: { SHALE_MAX_RATIO: 'lots' } });
  assertCleanFailure(r, /SHALE_MAX_RATIO must be a number \(0 for no limit\), not "lots"/);
});
