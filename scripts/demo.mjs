#!/usr/bin/env node
// `npm run demo`: the main job on a bundled example. Packs examples/rootfs into a layer with the
// library, shows its DiffID and TarSum through the `shale` CLI, compresses it, and writes a
// one-layer OCI image layout whose image ID is the sha256 of its config. Then, in a store of its
// own: load that layout, check it out, change it, diff, commit and unpack the new image; and
// through a local registry: push it, remove it, pull it back.
// Usage: node --import tsx scripts/demo.mjs [OUT_DIR]   (default: a new temporary directory)
// On a machine without Debian's docker-registry it installs it first (as root), the way the
// tests install their packages; when it cannot, it says what to run in one line and exits 1.
import { createHash } from 'node:crypto';
import {
  createReadStream,
  createWriteStream,
  mkdtempSync,
  mkdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
  rmSync,
} from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { compressStream, packDirectory } from 'shale/archive';
import { DEMO_PACKAGES, SetupError, ensureDebianPackages } from '../support/debian-packages.ts';
import { startRegistry } from '../support/registry.ts';

const repo = fileURLToPath(new URL('..', import.meta.url));
const rootfs = path.join(repo, 'examples', 'rootfs');
const shale = (...args) =>
  execFileSync(process.execPath, [path.join(repo, 'dist/cli/shale.js'), ...args], {
    encoding: 'utf8',
  }).trim();
const show = (...args) =>
  console.log(`$ shale ${args.join(' ').replaceAll(out, '$DEMO')}\n${shale(...args)}`);
const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');
const EPOCH = 1700000000;

/** One line for a failure a user can act on (a stack only with SHALE_DEBUG=1). */
function fail(err) {
  if (process.env.SHALE_DEBUG) console.error(err);
  const stderr = err?.stderr?.toString().trim();
  const message = err instanceof SetupError ? err.message : stderr || String(err?.message ?? err);
  console.error(`shale demo: ${message.split('\n')[0]}`);
  process.exit(1);
}
process.on('uncaughtException', fail);
process.on('unhandledRejection', fail);

ensureDebianPackages(DEMO_PACKAGES, (line) => console.error(`shale demo: ${line}`));
const out = process.argv[2]
  ? path.resolve(process.argv[2])
  : mkdtempSync(path.join(tmpdir(), 'shale-demo-'));
mkdirSync(out, { recursive: true });
console.log(`shale demo — working in ${out}\n`);

// 1. The layer: the rootfs as an uncompressed tar (fixed owner and mtime: reproducible).
const layerTar = path.join(out, 'layer.tar');
await pipeline(
  packDirectory(rootfs, { mtime: EPOCH, uid: 0, gid: 0 }),
  createWriteStream(layerTar),
);
console.log(`$ shale diffid layer.tar\n${shale('diffid', layerTar)}`);
console.log(`$ shale tarsum layer.tar\n${shale('tarsum', layerTar)}`);
console.log(
  `$ shale tarsum --version v0 layer.tar\n${shale('tarsum', '--version', 'v0', layerTar)}\n`,
);

// 2. The blob: gzip-compressed; its DiffID is still that of the uncompressed tar.
const layerGz = path.join(out, 'layer.tar.gz');
await pipeline(
  createReadStream(layerTar),
  await compressStream('gzip'),
  createWriteStream(layerGz),
);
const diffId = shale('diffid', layerGz);
console.log(`$ shale diffid layer.tar.gz\n${diffId}\n`);

// 3. The image: config (rootfs.diff_ids) + manifest + index in an OCI image layout.
const layout = path.join(out, 'oci');
mkdirSync(path.join(layout, 'blobs', 'sha256'), { recursive: true });
const putBlob = (bytes) => {
  const hex = sha256(bytes);
  writeFileSync(path.join(layout, 'blobs', 'sha256', hex), bytes);
  return { digest: `sha256:${hex}`, size: bytes.length };
};
const layerBytes = readFileSync(layerGz);
const layerHex = sha256(layerBytes);
renameSync(layerGz, path.join(layout, 'blobs', 'sha256', layerHex));
const config = putBlob(
  Buffer.from(
    JSON.stringify({
      created: new Date(EPOCH * 1000).toISOString(),
      architecture: 'amd64',
      os: 'linux',
      config: { Cmd: ['/usr/bin/hello'] },
      rootfs: { type: 'layers', diff_ids: [diffId] },
      history: [
        {
          created: new Date(EPOCH * 1000).toISOString(),
          created_by: 'shale demo: examples/rootfs',
        },
      ],
    }),
  ),
);
const manifest = putBlob(
  Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: [
        {
          mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
          digest: `sha256:${layerHex}`,
          size: layerBytes.length,
        },
      ],
    }),
  ),
);
writeFileSync(path.join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
writeFileSync(
  path.join(layout, 'index.json'),
  JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [
      {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        ...manifest,
        annotations: { 'org.opencontainers.image.ref.name': 'docker.io/library/shale-demo:latest' },
      },
    ],
  }),
);
console.log(`image layout:   ${layout}`);
console.log(`layer blob:     sha256:${layerHex} (${layerBytes.length} bytes gzip)`);
console.log(`manifest:       ${manifest.digest}`);
console.log(`image ID:       ${config.digest}`);

// 4. The store: load the layout, check out, change, diff, commit, unpack.
console.log('\n--- the image in a store ($DEMO/store) ---');
const root = path.join(out, 'store');
const tree = path.join(out, 'tree');
show('--root', root, 'load', '-i', layout);
show('--root', root, 'images');
show('--root', root, 'checkout', 'shale-demo', tree);
writeFileSync(path.join(tree, 'etc', 'motd'), 'built with shale\n');
rmSync(path.join(tree, 'usr', 'share', 'doc'), { recursive: true });
show('--root', root, 'diff', tree);
show('--root', root, 'commit', tree, 'shale-demo:edited', '-m', 'add motd, drop docs');
show('--root', root, 'unpack', 'shale-demo:edited', path.join(out, 'rootfs'));
console.log(
  `$ cat $DEMO/rootfs/etc/motd\n${readFileSync(path.join(out, 'rootfs', 'etc', 'motd'), 'utf8').trim()}`,
);
show('--root', root, 'images');

// 5. A registry of its own (Debian's docker-registry on 127.0.0.1): push, remove, pull back.
console.log('\n--- through a registry ---');
const registry = await startRegistry();
try {
  const remote = `${registry.host}/demo/shale-demo:edited`;
  const [{ Id: edited }] = JSON.parse(
    shale('--root', root, 'inspect', '--json', 'shale-demo:edited'),
  );
  show('--root', root, 'push', '-q', 'shale-demo:edited', remote);
  show('--root', root, 'rmi', 'shale-demo:edited');
  show('--root', root, 'pull', '-q', remote);
  console.log(
    `pulled back the same image: ${shale('--root', root, 'pull', '-q', remote) === edited}`,
  );
  show('--root', root, 'unpack', remote, path.join(out, 'rootfs-pulled'));
  show('--root', root, 'images');
} finally {
  await registry.stop();
}
