/**
 * Chains of legacy images whose layer tars have known DiffIDs, for the migration tests, and what
 * spec §4.5 migrates them to; the graph roots are built from them by support/legacy-graph.ts
 * (re-exported here). The chains: the TarSum test-data images, the edge-case image (whiteouts,
 * opaque directories, hard links, xattrs, odd names), and the images a Docker 1.8.3/1.9 schema1
 * pull from the test registry left (strong IDs, MakeImageConfig JSON, checksum, v1Compatibility).
 */
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, gunzipSync } from 'node:zlib';
import { asDigest, parseDigest } from '../../src/core/digest.ts';
import { strongIdChain } from '../../src/legacy/image-config.ts';
import { migrateLegacyImage, type MigratedImage } from '../../src/legacy/migration.ts';
import { chainOfTars, sha256Hex, type LegacyLayer } from '../../support/legacy-graph.ts';
import { buildEdgeImage } from './edge-image.ts';
import { fixture } from './fixtures.ts';

export {
  buildLegacyGraph,
  sha256Hex,
  type Driver,
  type GraphOptions,
  type LegacyLayer,
} from '../../support/legacy-graph.ts';

/** The image IDs spec §4.5 gives the chain `layers` (parents first), from the tars' sha256. */
export function expectedImageIds(layers: readonly LegacyLayer[]): MigratedImage[] {
  const out: MigratedImage[] = [];
  for (const layer of layers) {
    const diffId = asDigest(`sha256:${sha256Hex(fs.readFileSync(layer.tar))}`);
    out.push(migrateLegacyImage(Buffer.from(layer.json), diffId, out.at(-1)));
  }
  return out;
}

const TARSUM_BASE = '511136ea3c5a64f264b78b5433614aec563103b4d4702f3ba7d4d2698e22c158';
const TARSUM_SUDO = '46af0962ab5afeb5ce6740d4d91652e69206fc991fd5328c1a94d364ad00e457';
const TARSUM_SUDO_RECORDED_PARENT =
  'def3f9165934325dfd027c86530b2ea49bb57a0963eb1336b3a0415ff6fd56de';

/**
 * The TarSum test-data images as a chain: their `json` and `layer.tar` (the sudo image's recorded
 * parent is not in the test data, so its JSON names the base image instead).
 */
export function tarsumChain(): LegacyLayer[] {
  const json = (id: string) => fs.readFileSync(fixture('tarsum', id, 'json'), 'utf8');
  return [
    { id: TARSUM_BASE, json: json(TARSUM_BASE), tar: fixture('tarsum', TARSUM_BASE, 'layer.tar') },
    {
      id: TARSUM_SUDO,
      json: json(TARSUM_SUDO).replaceAll(TARSUM_SUDO_RECORDED_PARENT, TARSUM_BASE),
      tar: fixture('tarsum', TARSUM_SUDO, 'layer.tar'),
    },
  ];
}

/**
 * The edge-case image (edge-image.ts: whiteouts, opaque directories, hard links, xattrs, odd
 * names) as a chain of v1 images, its layout at `<work>/layout` for peers, tars under `work`.
 */
export function edgeChain(work: string): LegacyLayer[] {
  const layout = path.join(work, 'layout');
  buildEdgeImage(path.join(work, 'trees'), layout);
  const blob = (digest: string) =>
    fs.readFileSync(path.join(layout, 'blobs', 'sha256', digest.slice('sha256:'.length)));
  const index = JSON.parse(fs.readFileSync(path.join(layout, 'index.json'), 'utf8')) as {
    manifests: { digest: string }[];
  };
  const manifest = JSON.parse(blob(index.manifests[0]!.digest).toString()) as {
    layers: { digest: string }[];
  };
  return chainOfTars(
    manifest.layers.map((layer, i) => {
      const tar = path.join(work, `edge-layer-${i}.tar`);
      fs.writeFileSync(tar, gunzipSync(blob(layer.digest)));
      return tar;
    }),
    'edge',
  );
}

/** What a schema1 manifest lists (index 0 the top image), as a registry serves it. */
export interface Schema1Listing {
  fsLayers: { blobSum: string }[];
  history: { v1Compatibility: string }[];
}

/** The schema1 manifest `host` serves for `name:tag`. */
export async function fetchSchema1(host: string, name: string, tag: string) {
  const response = await fetch(`http://${host}/v2/${name}/manifests/${tag}`, {
    headers: { accept: 'application/vnd.docker.distribution.manifest.v1+prettyjws' },
  });
  if (!response.ok) throw new Error(`GET ${name}:${tag}: ${response.status}`);
  return (await response.json()) as Schema1Listing;
}

/**
 * The images a Docker 1.8.3/1.9 schema1 pull of `manifest` from `host`/`name` left in its graph
 * (spec §3.2–3.5), base first: an empty graph reuses no ID, so each image is under its strong
 * ID, `json` = its MakeImageConfig config (the parent named by `parent_id`), `checksum` = its
 * blobSum, `v1Compatibility` = its history entry; its layer tar is the blob fetched from the
 * registry and decompressed (so its sha256 is the DiffID), written under `work`.
 */
export async function schema1PulledChain(
  host: string,
  name: string,
  manifest: Schema1Listing,
  work: string,
): Promise<LegacyLayer[]> {
  const links = strongIdChain(
    manifest.fsLayers.map(({ blobSum }, i) => ({
      blobSum,
      v1Compatibility: Buffer.from(manifest.history[i]!.v1Compatibility),
    })),
  );
  fs.mkdirSync(work, { recursive: true });
  const chain: LegacyLayer[] = [];
  for (let i = links.length - 1; i >= 0; i--) {
    const { blobSum } = manifest.fsLayers[i]!;
    const tar = path.join(work, `${parseDigest(blobSum).hex}.tar`);
    const response = await fetch(`http://${host}/v2/${name}/blobs/${blobSum}`);
    if (!response.ok || !response.body) throw new Error(`GET ${blobSum}: ${response.status}`);
    await pipeline(Readable.fromWeb(response.body), createGunzip(), fs.createWriteStream(tar));
    chain.push({
      id: parseDigest(links[i]!.strongId).hex,
      json: links[i]!.config,
      tar,
      checksum: blobSum,
      v1Compatibility: manifest.history[i]!.v1Compatibility,
    });
  }
  return chain;
}
