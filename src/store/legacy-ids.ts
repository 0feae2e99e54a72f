/**
 * The legacy index: Docker 1.x (v1) image IDs kept as aliases of the images they became. Each
 * legacy image is a directory `shale/legacy/ids/<id>/` holding `entry.json` (parent legacy ID,
 * layer ChainID, image ID), the v1 `json` bytes, `v1Compatibility` when known and — in a file of
 * its own beside the JSON, as Docker kept it (spec §2.4) — `checksum`. An entry is built in a
 * staging directory and renamed into place, so it appears complete or not at all; adding an ID
 * that exists leaves the existing entry alone (Register of 1.8.3+). Empty marker files under
 * `images/<alg>/<image hex>/<id>` list the legacy IDs of each image without a scan.
 */
import { mkdir, open, readdir, rename, rm, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as z from '../core/zod.ts';
import { digestSchema } from '../core/digest-schema.ts';
import { parseDigest, type Digest } from '../core/digest.ts';
import { ShaleError } from '../core/errors.ts';
import { assertLegacyId, isLegacyId } from '../core/legacy-id.ts';
import { readJsonFile } from './json-file.ts';
import type { StoreLayout } from './layout.ts';
import { withLock } from './lock.ts';
import { ownedTempPath } from './temp-names.ts';
import { readFileIfExists } from './json-file.ts';

const legacyIdSchema = z.string().check(z.refine(isLegacyId, { message: 'not a legacy image ID' }));

const entrySchema = z.object({
  id: legacyIdSchema,
  /** The legacy ID of the parent image (absent for a base image). */
  parent: z.optional(legacyIdSchema),
  /** ChainID of the layer this legacy image ends with. */
  layer: digestSchema,
  /** The image (config digest) this legacy image became. */
  image: digestSchema,
});
export type LegacyEntry = z.infer<typeof entrySchema>;

export interface NewLegacyEntry extends LegacyEntry {
  /** The v1 image JSON, byte for byte. */
  json: Uint8Array;
  /** The raw `v1Compatibility` history string of a schema1 manifest, when known. */
  v1Compatibility?: Uint8Array;
  /** Blob digest or TarSum label of the layer, when known (else filled lazily). */
  checksum?: string;
}

const ENTRY_FILE = 'entry.json';
const JSON_FILE = 'json';
const V1_COMPATIBILITY_FILE = 'v1Compatibility';
const CHECKSUM_FILE = 'checksum';

async function writeSynced(file: string, bytes: Uint8Array | string): Promise<void> {
  const handle = await open(file, 'wx', 0o644);
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function namesIn(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch {
    return [];
  }
}

export class LegacyStore {
  private readonly idsDir: string;
  private readonly imagesDir: string;
  private readonly tmpDir: string;

  constructor(private readonly layout: StoreLayout) {
    const base = path.join(layout.metaDir, 'legacy');
    this.idsDir = path.join(base, 'ids');
    this.imagesDir = path.join(base, 'images');
    this.tmpDir = path.join(base, 'tmp');
  }

  private entryDir(id: string): string {
    return path.join(this.idsDir, assertLegacyId(id, 'legacy image ID'));
  }

  private markerDir(image: Digest): string {
    const { algorithm, hex } = parseDigest(image);
    return path.join(this.imagesDir, algorithm, hex);
  }

  /** Add a legacy image; returns the stored entry (the existing one when the ID is taken). */
  async add(entry: NewLegacyEntry): Promise<LegacyEntry> {
    const record = entrySchema.parse({
      id: entry.id,
      layer: entry.layer,
      image: entry.image,
      ...(entry.parent !== undefined && { parent: entry.parent }),
    });
    const existing = await this.get(record.id);
    if (existing) return existing;
    const staging = ownedTempPath(path.join(this.tmpDir, 'entry'));
    await mkdir(staging, { recursive: true });
    try {
      await writeSynced(path.join(staging, JSON_FILE), entry.json);
      if (entry.v1Compatibility)
        await writeSynced(path.join(staging, V1_COMPATIBILITY_FILE), entry.v1Compatibility);
      if (entry.checksum !== undefined)
        await writeSynced(path.join(staging, CHECKSUM_FILE), entry.checksum);
      await writeSynced(path.join(staging, ENTRY_FILE), `${JSON.stringify(record)}\n`);
      await mkdir(this.markerDir(record.image), { recursive: true });
      await writeFile(path.join(this.markerDir(record.image), record.id), '');
      await mkdir(this.idsDir, { recursive: true });
      await rename(staging, this.entryDir(record.id));
      return record;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
      return (await this.get(record.id)) ?? record; // another process added it first
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  /** The legacy image `id`, or undefined (also for text that is not a legacy ID). */
  async get(id: string): Promise<LegacyEntry | undefined> {
    if (!isLegacyId(id)) return undefined;
    const json = await readJsonFile(path.join(this.entryDir(id), ENTRY_FILE));
    return json === undefined ? undefined : entrySchema.parse(json);
  }

  async has(id: string): Promise<boolean> {
    return (await this.get(id)) !== undefined;
  }

  /** The v1 image JSON bytes of `id`. */
  async json(id: string): Promise<Buffer> {
    const bytes = await readFileIfExists(path.join(this.entryDir(id), JSON_FILE));
    if (!bytes) throw new ShaleError('ERR_NOT_FOUND', `legacy image ${id} is not in the store`);
    return bytes;
  }

  async v1Compatibility(id: string): Promise<Buffer | undefined> {
    return readFileIfExists(path.join(this.entryDir(id), V1_COMPATIBILITY_FILE));
  }

  /** The checksum file beside the JSON; undefined when it was never written. */
  async checksum(id: string): Promise<string | undefined> {
    return (await readFileIfExists(path.join(this.entryDir(id), CHECKSUM_FILE)))?.toString('utf8');
  }

  /** Write (or replace) the checksum file of `id` atomically. */
  async setChecksum(id: string, checksum: string): Promise<void> {
    if (!(await this.has(id)))
      throw new ShaleError('ERR_NOT_FOUND', `legacy image ${id} is not in the store`);
    const file = path.join(this.entryDir(id), CHECKSUM_FILE);
    const temp = ownedTempPath(file);
    try {
      await writeSynced(temp, checksum);
      await rename(temp, file);
    } finally {
      await unlink(temp).catch(() => undefined);
    }
  }

  /** Every legacy ID in the store, sorted. */
  async ids(): Promise<string[]> {
    return (await namesIn(this.idsDir)).filter(isLegacyId);
  }

  /** Images that have legacy entries. */
  async images(): Promise<Digest[]> {
    const images: Digest[] = [];
    for (const algorithm of await namesIn(this.imagesDir))
      for (const hex of await namesIn(path.join(this.imagesDir, algorithm)))
        images.push(`${algorithm}:${hex}` as Digest);
    return images;
  }

  /** The entries that became `image` (unordered). */
  async entriesOf(image: Digest): Promise<LegacyEntry[]> {
    const entries: LegacyEntry[] = [];
    for (const id of await namesIn(this.markerDir(image))) {
      const entry = await this.get(id);
      if (entry?.image === image) entries.push(entry);
    }
    return entries;
  }

  /**
   * The legacy IDs an image and its layers are known by, top first: each of its own entries that
   * is no other's parent, followed down its parent chain (through its parent images' entries).
   */
  async idsOf(image: Digest): Promise<string[]> {
    const own = await this.entriesOf(image);
    const parents = new Set(own.map((e) => e.parent));
    const ids: string[] = [];
    for (const top of own.filter((e) => !parents.has(e.id))) {
      for (let entry: LegacyEntry | undefined = top; entry && !ids.includes(entry.id);) {
        ids.push(entry.id);
        entry = entry.parent === undefined ? undefined : await this.get(entry.parent);
      }
    }
    return ids;
  }

  /**
   * The image a legacy ID or unique legacy-ID prefix names; undefined when none matches,
   * ERR_INVALID_ARGUMENT when the prefix names several images.
   */
  async resolve(text: string): Promise<Digest | undefined> {
    const exact = await this.get(text);
    if (exact) return exact.image;
    if (text.length === 0 || !/^[a-f0-9]{1,63}$/.test(text)) return undefined;
    const images = new Set<Digest>();
    for (const id of await this.ids()) {
      if (!id.startsWith(text)) continue;
      const entry = await this.get(id);
      if (entry) images.add(entry.image);
    }
    if (images.size > 1) {
      throw new ShaleError(
        'ERR_INVALID_ARGUMENT',
        `legacy ID prefix ${text} is ambiguous (${images.size} images match); give more characters`,
      );
    }
    return [...images][0];
  }

  /** Drop every legacy entry that became `image` (its image was removed). */
  async deleteImage(image: Digest): Promise<string[]> {
    const removed: string[] = [];
    for (const entry of await this.entriesOf(image)) {
      const doomed = ownedTempPath(path.join(this.tmpDir, 'doomed'));
      await mkdir(this.tmpDir, { recursive: true });
      await rename(this.entryDir(entry.id), doomed).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
      await rm(doomed, { recursive: true, force: true });
      removed.push(entry.id);
    }
    await rm(this.markerDir(image), { recursive: true, force: true });
    return removed;
  }

  /** Run `fn` holding the legacy lock (ID reuse decisions that span several IDs, spec §3.4). */
  withLock<T>(fn: () => Promise<T>): Promise<T> {
    return withLock(this.layout, 'legacy', fn);
  }
}
