/**
 * The layer store: layers named by ChainID, each registered from a blob of any compression. It
 * records DiffID, parent, depth and sizes per layer (`layers/<alg>/<chain hex>.json`, under
 * `shale/`); what each blob holds is the blob index's (blob-index.ts), so one layer arriving as gzip
 * and as zstd is one layer with two blobs.
 *
 * Two sizes: the tar's byte count (what save writes), and Docker's size — the layer's file
 * contents (archive/content-size.ts), what `images`, `inspect`, `history` and prune show. The
 * latter is known once a read of the layer counted it; `contentSize` counts it when first needed.
 */
import { readdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import * as z from '../../core/zod.ts';
import { sizeSchema } from '../../core/size-schema.ts';
import { digestSchema as digest } from '../../core/digest-schema.ts';
import { asDigest, type Digest } from '../../core/digest.ts';
import { ShaleError } from '../../core/errors.ts';
import { chainIdStep } from '../../core/ids.ts';
import type { ContentStore } from '../content/index.ts';
import { writeCache } from '../cache-write.ts';
import { writeJsonAtomic } from '../json-file.ts';
import { readRecord, replaceable } from '../record-file.ts';
import type { StoreLayout } from '../layout.ts';
import { digestFile, LayerBlobIndex, type BlobInfo } from './blob-index.ts';

/** Docker's limit on the depth of a layer chain. */
export const MAX_LAYER_DEPTH = 125;

const layerRecordSchema = z.object({
  chainId: digest,
  diffId: digest,
  parent: z.optional(digest),
  depth: z.number().check(z.int(), z.positive()),
  /** Bytes of the uncompressed layer tar (an estimate while `unverified`). */
  tarSize: sizeSchema,
  /** Docker's size of the layer: its file contents, once counted. */
  contentSize: z.optional(sizeSchema),
  /** Registered from a blob whose DiffID is still only claimed (see blob-index.ts). */
  unverified: z.optional(z.literal(true)),
  /** TarSum v1 of the layer diff, once computed (spec §2.4). */
  tarsum: z.optional(z.string()),
});
export type LayerRecord = z.infer<typeof layerRecordSchema>;

/** Records written before content sizes were kept call the tar's byte count `size`. */
function upgradeRecord(json: unknown): unknown {
  if (typeof json !== 'object' || json === null || !('size' in json)) return json;
  const { size, ...rest } = json;
  return { ...rest, tarSize: size };
}

export interface RegisterOptions {
  /** The DiffID the blob must have (from an image config); mismatch → ERR_DIGEST_MISMATCH. */
  expectedDiffId?: Digest;
  signal?: AbortSignal;
}

export class LayerStore extends LayerBlobIndex {
  private readonly layersDir: string;

  constructor(layout: StoreLayout, content: ContentStore) {
    super(layout, content);
    this.layersDir = path.join(layout.metaDir, 'layers');
  }

  /** The file holding the layer's record (its modification time tells prune it is in use). */
  recordPath(chainId: Digest): string {
    return digestFile(this.layersDir, chainId, '.json');
  }

  /**
   * The layer's record; ERR_BAD_RECORD when it does not parse, names another ChainID, or its parent
   * and DiffID do not give its ChainID (a swapped DiffID would build the wrong tree).
   */
  async get(chainId: Digest): Promise<LayerRecord | undefined> {
    const record = await readRecord(this.recordPath(chainId), layerRecordSchema, {
      upgrade: upgradeRecord,
      disagreement: (r) =>
        r.chainId !== chainId
          ? `it names ChainID ${r.chainId}`
          : chainIdStep(r.parent, r.diffId) !== chainId
            ? `its parent and DiffID ${r.diffId} do not give its ChainID`
            : undefined,
    });
    if (record === undefined) return undefined;
    return record.unverified ? this.settle(record) : record;
  }

  /** An unverified record takes its exact sizes once a blob of its DiffID has been read. */
  private async settle(record: LayerRecord): Promise<LayerRecord> {
    for (const blob of await this.blobsOf(record.diffId)) {
      const info = await this.blobInfo(blob);
      if (!info || info.unverified) continue;
      return this.rewrite(record, info);
    }
    return record;
  }

  /** `record` with the sizes a read of its layer found, written back (when the store is writable). */
  private async rewrite(record: LayerRecord, info: BlobInfo): Promise<LayerRecord> {
    const settled: LayerRecord = { ...record, tarSize: info.uncompressedSize };
    if (info.contentSize !== undefined) settled.contentSize = info.contentSize;
    delete settled.unverified;
    await writeCache(() => writeJsonAtomic(this.recordPath(record.chainId), settled));
    return settled;
  }

  /**
   * Docker's size of `layer` (its file contents): as recorded, else counted now — from a blob a
   * read has counted, else by reading the layer through — and recorded with the layer.
   */
  async contentSize(layer: LayerRecord, signal?: AbortSignal): Promise<number> {
    if (layer.contentSize !== undefined) return layer.contentSize;
    const info = await this.measureLayer(layer.diffId, signal);
    // Re-read: another process may have added to the record (a TarSum) or removed it meanwhile.
    const current = await this.get(layer.chainId);
    if (current) await this.rewrite(current, info);
    return info.contentSize;
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
    const info =
      options.expectedDiffId === undefined
        ? await this.describeBlob(blob, options.signal)
        : await this.checkDiffId(blob, options.expectedDiffId, options.signal);
    const chainId = chainIdStep(parent, info.diffId);
    const existing = await replaceable(this.get(chainId));
    if (existing) return existing;
    const record: LayerRecord = {
      chainId,
      diffId: info.diffId,
      depth,
      tarSize: info.uncompressedSize,
    };
    if (info.contentSize !== undefined) record.contentSize = info.contentSize;
    if (parent !== undefined) record.parent = parent;
    if (info.unverified) record.unverified = true;
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
