/**
 * The layer store: layers named by ChainID, each registered from a blob of any compression. It
 * records DiffID, parent, depth and uncompressed size per layer, and the digest→DiffID mapping
 * per blob, so one layer arriving as gzip and as zstd is one layer with two blobs.
 *
 * On disk (under `shale/`): `layers/<alg>/<chain hex>.json`, `blobinfo/<alg>/<blob hex>.json`,
 * and `diffids/<alg>/<diffid hex>/<blob alg>-<blob hex>` (empty markers: a set that several
 * processes can add to without a lock).
 */
import { mkdir, readdir, rm, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { digestSchema as digest } from '../../core/digest-schema.ts';
import type { Compression } from '../../archive/compression/index.ts';
import { computeDiffId } from '../../archive/diffid.ts';
import { asDigest, parseDigest, type Digest } from '../../core/digest.ts';
import { ShaleError } from '../../core/errors.ts';
import { chainIdStep } from '../../core/ids.ts';
import type { ContentStore } from '../content/index.ts';
import { readJsonFile, writeJsonAtomic } from '../json-file.ts';
import type { StoreLayout } from '../layout.ts';

/** Docker's limit on the depth of a layer chain. */
export const MAX_LAYER_DEPTH = 125;

const layerRecordSchema = z.object({
  chainId: digest,
  diffId: digest,
  parent: digest.optional(),
  depth: z.number().int().positive(),
  /** Bytes of the uncompressed layer tar. */
  size: z.number().int().nonnegative(),
  /** TarSum v1 of the layer diff, once computed (spec §2.4). */
  tarsum: z.string().optional(),
});
export type LayerRecord = z.infer<typeof layerRecordSchema>;

const blobInfoSchema = z.object({
  diffId: digest,
  compression: z.enum(['gzip', 'zstd', 'xz', 'bzip2', 'none']),
  uncompressedSize: z.number().int().nonnegative(),
  /** Repositories (`host/name`) the blob was pulled from: candidates for cross-repository mounts. */
  sources: z.array(z.string()).optional(),
});
export type BlobInfo = z.infer<typeof blobInfoSchema> & { compression: Compression };

export interface RegisterOptions {
  /** The DiffID the blob must have (from an image config); mismatch → ERR_DIGEST_MISMATCH. */
  expectedDiffId?: Digest;
  signal?: AbortSignal;
}

function digestFile(dir: string, d: Digest, suffix = ''): string {
  const { algorithm, hex } = parseDigest(d);
  return path.join(dir, algorithm, `${hex}${suffix}`);
}

export class LayerStore {
  private readonly layersDir: string;
  private readonly blobInfoDir: string;
  private readonly diffIdsDir: string;

  constructor(
    layout: StoreLayout,
    private readonly content: ContentStore,
  ) {
    this.layersDir = path.join(layout.metaDir, 'layers');
    this.blobInfoDir = path.join(layout.metaDir, 'blobinfo');
    this.diffIdsDir = path.join(layout.metaDir, 'diffids');
  }

  async get(chainId: Digest): Promise<LayerRecord | undefined> {
    const json = await readJsonFile(digestFile(this.layersDir, chainId, '.json'));
    return json === undefined ? undefined : layerRecordSchema.parse(json);
  }

  /** The layers of a chain, base first. */
  async chain(chainId: Digest): Promise<LayerRecord[]> {
    const layers: LayerRecord[] = [];
    for (let id: Digest | undefined = chainId; id !== undefined;) {
      const layer = await this.get(id);
      if (!layer) throw new ShaleError('ERR_NOT_FOUND', `layer ${id} is not in the store`);
      layers.unshift(layer);
      id = layer.parent;
    }
    return layers;
  }

  async blobInfo(blob: Digest): Promise<BlobInfo | undefined> {
    const json = await readJsonFile(digestFile(this.blobInfoDir, blob, '.json'));
    return json === undefined ? undefined : blobInfoSchema.parse(json);
  }

  /** Every stored blob known to hold this DiffID (its compressed forms, or the plain tar). */
  async blobsOf(diffId: Digest): Promise<Digest[]> {
    let names: string[];
    try {
      names = await readdir(digestFile(this.diffIdsDir, diffId));
    } catch {
      return [];
    }
    return names.map((n) => asDigest(n.replace('-', ':'))).sort();
  }

  /** Learn (or look up) the DiffID of a stored blob by decompressing and hashing it once. */
  async describeBlob(blob: Digest, signal?: AbortSignal): Promise<BlobInfo> {
    const known = await this.blobInfo(blob);
    if (known) return known;
    if (!(await this.content.has(blob)))
      throw new ShaleError('ERR_NOT_FOUND', `blob ${blob} is not in the store`);
    const { diffId, size, compression } = await computeDiffId(this.content.open(blob), signal);
    const info: BlobInfo = { diffId, compression, uncompressedSize: size };
    await this.recordBlobInfo(blob, info);
    return info;
  }

  /**
   * Record what a stored blob holds, computed by the caller while it wrote the blob (a pull hashes
   * the decompressed stream as it downloads). Sources are merged with those already known.
   */
  async recordBlobInfo(blob: Digest, info: BlobInfo): Promise<void> {
    const sources = [
      ...new Set([...((await this.blobInfo(blob))?.sources ?? []), ...(info.sources ?? [])]),
    ];
    await writeJsonAtomic(digestFile(this.blobInfoDir, blob, '.json'), {
      ...info,
      ...(sources.length > 0 && { sources: sources.sort() }),
    });
    const { algorithm, hex } = parseDigest(blob);
    const markers = digestFile(this.diffIdsDir, info.diffId);
    await mkdir(markers, { recursive: true });
    await writeFile(path.join(markers, `${algorithm}-${hex}`), '');
  }

  /** Register the layer held by `blob` on top of `parent`; idempotent. */
  async registerBlob(
    parent: Digest | undefined,
    blob: Digest,
    options: RegisterOptions = {},
  ): Promise<LayerRecord> {
    const parentLayer = parent === undefined ? undefined : await this.get(parent);
    if (parent !== undefined && !parentLayer)
      throw new ShaleError('ERR_NOT_FOUND', `parent layer ${parent} is not in the store`);
    const depth = (parentLayer?.depth ?? 0) + 1;
    if (depth > MAX_LAYER_DEPTH) {
      throw new ShaleError('ERR_LIMIT', `a layer chain may hold at most ${MAX_LAYER_DEPTH} layers`);
    }
    const info = await this.describeBlob(blob, options.signal);
    if (options.expectedDiffId !== undefined && info.diffId !== options.expectedDiffId) {
      throw new ShaleError(
        'ERR_DIGEST_MISMATCH',
        `layer blob ${blob} uncompresses to ${info.diffId}, but the image config says ${options.expectedDiffId}`,
      );
    }
    const chainId = chainIdStep(parent, info.diffId);
    const existing = await this.get(chainId);
    if (existing) return existing;
    const record: LayerRecord = {
      chainId,
      diffId: info.diffId,
      depth,
      size: info.uncompressedSize,
    };
    if (parent !== undefined) record.parent = parent;
    await writeJsonAtomic(digestFile(this.layersDir, chainId, '.json'), record);
    return record;
  }

  /** Record the TarSum of a registered layer. */
  async setTarsum(chainId: Digest, tarsum: string): Promise<void> {
    const layer = await this.get(chainId);
    if (!layer) throw new ShaleError('ERR_NOT_FOUND', `layer ${chainId} is not in the store`);
    await writeJsonAtomic(digestFile(this.layersDir, chainId, '.json'), { ...layer, tarsum });
  }

  /** Forget a layer record (its blobs stay until the caller removes them). */
  async delete(chainId: Digest): Promise<void> {
    await unlink(digestFile(this.layersDir, chainId, '.json')).catch(
      (err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      },
    );
  }

  /** Remove a stored blob together with what is known about it (its DiffID mapping). */
  async removeBlob(blob: Digest): Promise<void> {
    const info = await this.blobInfo(blob);
    if (info) {
      const { algorithm, hex } = parseDigest(blob);
      await rm(path.join(digestFile(this.diffIdsDir, info.diffId), `${algorithm}-${hex}`), {
        force: true,
      });
      await rm(digestFile(this.blobInfoDir, blob, '.json'), { force: true });
    }
    await this.content.delete(blob);
  }

  /** Every registered layer. */
  async *list(): AsyncGenerator<LayerRecord> {
    let names: string[];
    try {
      names = await readdir(path.join(this.layersDir, 'sha256'));
    } catch {
      return;
    }
    for (const name of names.sort()) {
      if (!name.endsWith('.json')) continue;
      const layer = await this.get(asDigest(`sha256:${name.slice(0, -5)}`));
      if (layer) yield layer;
    }
  }
}
