/**
 * Images for the crash and concurrency campaigns, built with the project's fixture generator
 * (support/fixtures) and published to the test registry with skopeo: a small base image, and the
 * layer-reversed pair — image `a` with layers 1-2-3-4 and image `b` with the same four blobs in the
 * order 4-3-2-1 — in one OCI layout. Also small rootfs tars for `import`.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ensureFixture, runCommand, type Fixture } from '../../support/fixtures/image.ts';
import { DEFAULTS } from '../../support/fixtures/presets.ts';
import { publish } from './publish.ts';

const MiB = 1024 * 1024;
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
const OCI_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';

/** A fixture image of `layers` layers and `bytes` bytes (half of it incompressible). */
export function campaignFixture(
  dir: string,
  name: string,
  seed: number,
  layers: number,
  bytes: number,
): Promise<Fixture> {
  return ensureFixture({
    dir,
    name,
    params: { ...DEFAULTS, seed, randomFraction: 0.5, layers, files: layers * 6, bytes },
    log: () => undefined,
  });
}

function writeBlob(blobs: string, value: unknown): { digest: string; size: number } {
  const bytes = Buffer.from(JSON.stringify(value));
  const hex = createHash('sha256').update(bytes).digest('hex');
  writeFileSync(path.join(blobs, hex), bytes);
  return { digest: `sha256:${hex}`, size: bytes.length };
}

/**
 * Adds to the fixture's OCI layout (tagged with the fixture's name) an image tagged `reversed`
 * whose config and manifest list the same layers in the opposite order.
 */
function addReversedImage(fixture: Fixture): void {
  const oci = fixture.abs('oci');
  const blobs = path.join(oci, 'blobs', 'sha256');
  const layers = [...fixture.layers].reverse();
  const created = new Date(fixture.params.epoch * 1000).toISOString();
  const config = writeBlob(blobs, {
    created,
    architecture: 'amd64',
    os: 'linux',
    config: { Cmd: ['/bin/sh'] },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    history: layers.map((l) => ({ created, created_by: `campaign layer ${l.index}` })),
  });
  const manifest = writeBlob(blobs, {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: OCI_CONFIG, ...config },
    layers: layers.map((l) => ({
      mediaType: OCI_LAYER_GZIP,
      digest: l.blobDigest,
      size: l.blobBytes,
    })),
  });
  const indexFile = path.join(oci, 'index.json');
  const index = JSON.parse(readFileSync(indexFile, 'utf8')) as { manifests: unknown[] };
  index.manifests = [
    index.manifests[0],
    {
      mediaType: OCI_MANIFEST,
      ...manifest,
      platform: { architecture: 'amd64', os: 'linux' },
      annotations: { 'org.opencontainers.image.ref.name': 'reversed' },
    },
  ];
  writeFileSync(indexFile, JSON.stringify(index));
}

export interface CampaignImages {
  /** `HOST/campaign/base:1`: three layers, about 1.5 MiB. */
  base: string;
  /** `HOST/campaign/a:1`: layers 1-2-3-4. */
  a: string;
  /** `HOST/campaign/b:1`: the same blobs as `a`, in the order 4-3-2-1. */
  b: string;
  /** a's layers, in a's order: blob digest and the file holding the blob. */
  sharedLayers: { digest: string; file: string }[];
}

/** Builds the fixtures under `work` and pushes them to the registry at `host`. */
export async function publishCampaignImages(
  work: string,
  host: string,
  layerBytes = 1 * MiB,
): Promise<CampaignImages> {
  const base = await campaignFixture(path.join(work, 'base'), 'base', 11, 3, 3 * (MiB / 2));
  const pair = await campaignFixture(path.join(work, 'pair'), 'pair', 12, 4, 4 * layerBytes);
  addReversedImage(pair);
  const images: CampaignImages = {
    base: `${host}/campaign/base:1`,
    a: `${host}/campaign/a:1`,
    b: `${host}/campaign/b:1`,
    sharedLayers: pair.layers.map((l) => ({ digest: l.blobDigest!, file: pair.abs(l.blob!) })),
  };
  await publish(base.abs('oci'), 'base', images.base, 'v2s2');
  await publish(pair.abs('oci'), 'pair', images.a, 'v2s2');
  await publish(pair.abs('oci'), 'reversed', images.b, 'oci');
  return images;
}

/** A rootfs tar of a few files (seeded content) for `import`. */
export async function rootfsTar(work: string, name: string, seed: number): Promise<string> {
  const fixture = await campaignFixture(path.join(work, name), name, seed, 1, MiB / 2);
  const tree = path.join(work, `${name}-tree`);
  mkdirSync(path.join(tree, 'etc'), { recursive: true });
  writeFileSync(path.join(tree, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  const tar = path.join(work, `${name}.tar`);
  await runCommand('tar', ['-cf', tar, '-C', tree, 'etc']);
  await runCommand('tar', ['-Af', tar, fixture.abs(fixture.layers[0]!.tar)]);
  return tar;
}
