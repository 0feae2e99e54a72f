/**
 * Images and stores for the save/load tests: the edge-case layout plus a second image sharing
 * its first two layers (tag `edge-base`, its own config), loaded into a fresh store; and a way to
 * compare a store's files before and after a command that must leave it unchanged.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { buildEdgeImage } from './edge-image.ts';
import { runShale } from './shale.ts';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

function readJson<T>(file: string): T {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}

function writeBlob(layout: string, bytes: Buffer): { digest: string; size: number } {
  const hex = sha256(bytes);
  fs.writeFileSync(path.join(layout, 'blobs', 'sha256', hex), bytes);
  return { digest: `sha256:${hex}`, size: bytes.length };
}

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

function blobJson<T>(layout: string, digest: string): T {
  return readJson<T>(path.join(layout, 'blobs', 'sha256', digest.slice(7)));
}

/** Build the edge layout (tag `edge`) and add `edge-base`: its first two layers, another config. */
export function buildSharedLayout(work: string): string {
  const layout = path.join(work, 'layout');
  buildEdgeImage(path.join(work, 'trees'), layout);
  const index = readJson<{ manifests: Descriptor[] }>(path.join(layout, 'index.json'));
  const manifest = blobJson<{ config: Descriptor; layers: Descriptor[] }>(
    layout,
    index.manifests[0]!.digest,
  );
  const config = blobJson<{ rootfs: { diff_ids: string[] } }>(layout, manifest.config.digest);
  const baseConfig = writeBlob(
    layout,
    Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        created: '2024-01-02T03:04:05Z',
        config: { Env: ['BASE=1'] },
        rootfs: { type: 'layers', diff_ids: config.rootfs.diff_ids.slice(0, 2) },
      }),
    ),
  );
  const baseManifest = writeBlob(
    layout,
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...baseConfig },
        layers: manifest.layers.slice(0, 2),
      }),
    ),
  );
  index.manifests.push({
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    ...baseManifest,
    annotations: { 'org.opencontainers.image.ref.name': 'edge-base' },
  });
  fs.writeFileSync(path.join(layout, 'index.json'), JSON.stringify(index));
  return layout;
}

/** A store at `root` holding `peers/edge:edge` and `peers/edge:edge-base`. */
export function loadShared(layout: string, root: string): void {
  const r = runShale(['--root', root, 'load', '-i', layout, '--name', 'peers/edge']);
  if (r.status !== 0) throw new Error(`load failed: ${r.stderr}`);
}

/** Every file under a store root with a digest of its content (directories and mtimes aside). */
export function storeFiles(root: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else files.set(path.relative(root, full), sha256(fs.readFileSync(full)));
    }
  };
  walk(root);
  return files;
}

export interface InspectFacts {
  Id: string;
  RepoTags: string[];
  RootFS: { Layers: string[] };
}

export function inspect(root: string, ...refs: string[]): InspectFacts[] {
  const r = runShale(['--root', root, 'inspect', '--json', ...refs]);
  if (r.status !== 0) throw new Error(`inspect failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as InspectFacts[];
}
