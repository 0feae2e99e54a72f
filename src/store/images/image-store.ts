/**
 * The image store: images named by the digest of their config bytes. The config itself is a blob
 * in the content store (kept byte for byte); the record under `shale/images/<alg>/<hex>.json`
 * adds what the config cannot say: the top layer's ChainID and, for committed images, the parent.
 * An image is created only when every layer of its rootfs is already registered.
 */
import { readdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import * as z from '../../core/zod.ts';
import { sizeSchema } from '../../core/size-schema.ts';
import { digestSchema as digest } from '../../core/digest-schema.ts';
import { asDigest, parseDigest, type Digest } from '../../core/digest.ts';
import { ShaleError } from '../../core/errors.ts';
import { chainIdOf } from '../../core/ids.ts';
import { parseImageConfig, type ParsedImageConfig } from '../../core/image-config.ts';
import { parseImageManifest } from '../../core/manifest.ts';
import type { ContentStore } from '../content/index.ts';
import { writeJsonAtomic } from '../json-file.ts';
import { badRecordError, readRecord, replaceable } from '../record-file.ts';
import type { LayerStore } from '../layers/index.ts';
import type { StoreLayout } from '../layout.ts';
import { synthesizeManifest, type Descriptor } from './manifest.ts';

const imageRecordSchema = z.object({
  id: digest,
  /** ChainID of the top layer; absent for an image without layers. */
  topLayer: z.optional(digest),
  /** The image this one was committed from. */
  parent: z.optional(digest),
  /** When this store first saw the image (RFC 3339). */
  added: z.string(),
  /** When a tag was last set on it by tag, commit or import (Docker's LastTagTime; RFC 3339). */
  lastTagged: z.optional(z.string()),
  /** The manifest the image is published with (as received, or written here when first tagged). */
  manifest: z.optional(z.object({ mediaType: z.string(), digest, size: sizeSchema })),
});
export type ImageRecord = z.infer<typeof imageRecordSchema>;

const HEX = /^[a-f0-9]+$/;

export class ImageStore {
  private readonly imagesDir: string;

  constructor(
    layout: StoreLayout,
    private readonly content: ContentStore,
    private readonly layers: LayerStore,
  ) {
    this.imagesDir = path.join(layout.metaDir, 'images');
  }

  /** The file holding the image's record. */
  recordFile(id: Digest): string {
    const { algorithm, hex } = parseDigest(id);
    return path.join(this.imagesDir, algorithm, `${hex}.json`);
  }

  /** Create (or find) the image of these config bytes; its layers must be registered already. */
  async create(
    configBytes: Uint8Array,
    options: { parent?: Digest; manifest?: Descriptor } = {},
  ): Promise<ImageRecord> {
    const parsed = parseImageConfig(configBytes);
    const existing = await replaceable(this.get(parsed.id));
    if (existing) return existing;
    const topLayer = chainIdOf(parsed.config.rootfs.diff_ids);
    if (topLayer !== undefined && !(await this.layers.get(topLayer))) {
      throw new ShaleError(
        'ERR_NOT_FOUND',
        `image ${parsed.id}: its layers are not registered (top layer ${topLayer})`,
      );
    }
    if (options.parent !== undefined && !(await this.get(options.parent))) {
      throw new ShaleError('ERR_NOT_FOUND', `parent image ${options.parent} is not in the store`);
    }
    await this.content.put(parsed.bytes, { digest: parsed.id, size: parsed.bytes.length });
    const record: ImageRecord = { id: parsed.id, added: new Date().toISOString() };
    if (topLayer !== undefined) record.topLayer = topLayer;
    if (options.parent !== undefined) record.parent = options.parent;
    if (options.manifest !== undefined) record.manifest = options.manifest;
    await writeJsonAtomic(this.recordFile(parsed.id), record);
    return record;
  }

  /** The image's record; ERR_BAD_RECORD when it does not parse or names another image. */
  async get(id: Digest): Promise<ImageRecord | undefined> {
    return readRecord(this.recordFile(id), imageRecordSchema, {
      disagreement: (r) => (r.id !== id ? `it names image ${r.id}` : undefined),
    });
  }

  /**
   * Write the image's record afresh from its stored config (`fsck --repair`, for a record that is
   * damaged or disagrees with the config): the top layer its DiffIDs give, which must be
   * registered with every layer below it; what only the old record knew (parent, manifest) is
   * dropped. A ShaleError when the config cannot be read (missing, damaged, not a config) or a
   * layer is not registered.
   */
  async rebuild(id: Digest): Promise<ImageRecord> {
    const topLayer = chainIdOf((await this.config(id)).config.rootfs.diff_ids);
    if (topLayer !== undefined) await this.layers.chain(topLayer);
    const record: ImageRecord = { id, added: new Date().toISOString() };
    if (topLayer !== undefined) record.topLayer = topLayer;
    await writeJsonAtomic(this.recordFile(id), record);
    return record;
  }

  /**
   * The image in the store that manifest `digest` is of: the config a stored image manifest names,
   * else (a schema 1 manifest, or one no longer stored) the image whose record names it.
   */
  async imageOfManifest(digest: Digest): Promise<Digest | undefined> {
    const named = await this.content
      .read(digest)
      .then((bytes) => parseImageManifest(bytes).config.digest)
      .catch(() => undefined);
    const recordOf = (id: Digest) => this.get(id).catch(() => undefined);
    if (named !== undefined) return (await recordOf(named)) ? named : undefined;
    for (const id of await this.ids())
      if ((await recordOf(id))?.manifest?.digest === digest) return id;
    return undefined;
  }

  /** The image's config, parsed from the stored bytes (verified against the ID). */
  async config(id: Digest): Promise<ParsedImageConfig> {
    return parseImageConfig(await this.content.read(id, 16 << 20));
  }

  /**
   * The image's record and config, checked to agree (the config's layers make the record's top
   * layer); ERR_NOT_FOUND when there is no such image, ERR_BAD_RECORD when they disagree.
   */
  async open(id: Digest): Promise<{ record: ImageRecord } & ParsedImageConfig> {
    const record = await this.get(id);
    if (!record) throw new ShaleError('ERR_NOT_FOUND', `no such image: ${id}`);
    const parsed = await this.config(id);
    if (chainIdOf(parsed.config.rootfs.diff_ids) !== record.topLayer) {
      throw badRecordError(
        this.recordFile(id),
        `its top layer ${record.topLayer ?? '(none)'} is not the one its config's DiffIDs make`,
      );
    }
    return { record, ...parsed };
  }

  /** The image's manifest descriptor, writing an OCI manifest first when it has none. */
  async manifestOf(id: Digest): Promise<Descriptor> {
    const record = await this.get(id);
    if (!record) throw new ShaleError('ERR_NOT_FOUND', `image ${id} is not in the store`);
    if (record.manifest) return record.manifest;
    const { config, bytes } = await this.config(id);
    const manifest = await synthesizeManifest(this.content, this.layers, {
      id,
      size: bytes.length,
      diffIds: config.rootfs.diff_ids,
    });
    await writeJsonAtomic(this.recordFile(id), { ...record, manifest });
    return manifest;
  }

  /** Record that a tag was just set on `id` (Docker does on tag, commit and import, not pull). */
  async markTagged(id: Digest): Promise<void> {
    const record = await this.get(id);
    if (!record) throw new ShaleError('ERR_NOT_FOUND', `image ${id} is not in the store`);
    await writeJsonAtomic(this.recordFile(id), { ...record, lastTagged: new Date().toISOString() });
  }

  /** Every image ID in the store. */
  async ids(): Promise<Digest[]> {
    let names: string[];
    try {
      names = await readdir(path.join(this.imagesDir, 'sha256'));
    } catch {
      return [];
    }
    return names
      .filter((n) => n.endsWith('.json'))
      .map((n) => asDigest(`sha256:${n.slice(0, -5)}`))
      .sort();
  }

  /** Images whose recorded parent is `id`. */
  async children(id: Digest): Promise<Digest[]> {
    const children: Digest[] = [];
    for (const other of await this.ids())
      if ((await this.get(other))?.parent === id) children.push(other);
    return children;
  }

  /**
   * The image an ID or unique ID prefix names (`sha256:` optional, like docker). Undefined when
   * none matches; ERR_INVALID_ARGUMENT when the prefix is ambiguous.
   */
  async resolveId(text: string): Promise<Digest | undefined> {
    const hex = text.startsWith('sha256:') ? text.slice(7) : text;
    if (hex.length === 0 || hex.length > 64 || !HEX.test(hex)) return undefined;
    const matches = (await this.ids()).filter((id) => id.slice(7).startsWith(hex));
    if (matches.length > 1) {
      throw new ShaleError(
        'ERR_INVALID_ARGUMENT',
        `image ID prefix ${text} is ambiguous (${matches.length} images match); give more characters`,
      );
    }
    return matches[0];
  }

  /** Forget an image record (its config blob and layers are released by the caller). */
  async delete(id: Digest): Promise<void> {
    await unlink(this.recordFile(id)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }
}
