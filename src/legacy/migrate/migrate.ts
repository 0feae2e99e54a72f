/**
 * `migrate`: bring a Docker 1.x graph into the store with the image IDs Docker 1.10's migration
 * gives (spec §4.5). Parents first, each legacy image's layer is its original tar, reassembled
 * from its tar-split metadata and the driver's files, so its DiffID is the one a registry knows;
 * without metadata, or when a body no longer matches it, the layer is rebuilt from the driver's
 * directories, with a warning (layer-tar.ts). Its config is MakeConfigFromV1Config over the
 * accumulated rootfs and history; the image keeps its legacy ID, JSON, v1Compatibility and
 * checksum file in the legacy index (no TarSum is computed: like Docker, shale makes one only
 * when something needs it, layer-checksum.ts). That entry, written last, is the progress record: a rerun
 * skips images that have one (recomputing only their IDs), so an interrupted migration resumes.
 * What a Docker 1.10 migration of the same graph recorded (its DiffIDs, its image IDs) is checked
 * against: a difference is warned about. An image that fails is rolled back and reported, and its
 * descendants are skipped. Tags from `repositories-<driver>` are then applied to the images that
 * migrated.
 */
import type { Digest } from '../../core/digest.ts';
import { ShaleError } from '../../core/errors.ts';
import { migrateLegacyImage, migrateLegacyTags, type MigratedImage } from '../migration.ts';
import {
  writeImages,
  type ImageWrite,
  type IngestResult,
  type LayerRecord,
  type Store,
} from '../../store/index.ts';
import { LegacyGraph, type GraphImage } from './graph.ts';
import { reassembledLayer, rebuiltLayer } from './layer-tar.ts';

export interface MigratedLegacyImage {
  legacyId: string;
  imageId: Digest;
  /** Migrated by an earlier (interrupted) run. */
  resumed: boolean;
}

export interface MigrationResult {
  images: MigratedLegacyImage[];
  failed: { legacyId: string; reason: string }[];
  /** References set from the legacy tag store (full form). */
  references: string[];
}

export interface MigrateOptions {
  signal?: AbortSignal;
  /** Called as each image is migrated (or found migrated). */
  onImage?: (image: MigratedLegacyImage) => void;
  /** Told what the migration could not do as Docker did (a layer rebuilt, an ID that differs). */
  onWarning?: (message: string) => void;
  /** The storage driver the old Docker used (default: the one whose directory is present). */
  driver?: string;
}

interface Done {
  chainId: Digest;
  migrated: MigratedImage;
}

/** The layer tar of `image` into the store: reassembled when it can be, else rebuilt. */
async function ingestLayer(
  store: Store,
  image: GraphImage,
  parent: GraphImage | undefined,
  warn: (message: string) => void,
  signal?: AbortSignal,
): Promise<IngestResult> {
  const rebuilt = `so its layer is rebuilt from the ${image.files.dir} directory, with a DiffID (and image ID) of its own`;
  if (image.tarData === undefined) {
    warn(`legacy image ${image.id} has no tar-split metadata (a Docker 1.6/1.7 graph), ${rebuilt}`);
  } else {
    let failure: Error | undefined;
    const original = async function* (tarData: string) {
      try {
        yield* reassembledLayer({ ...image, tarData });
      } catch (err) {
        failure = err as Error;
        throw err;
      }
    };
    try {
      const blob = await store.content.ingest(original(image.tarData), undefined, {
        signal,
        chunksOutliveNext: true,
      });
      if (image.dockerDiffId !== undefined && blob.digest !== image.dockerDiffId) {
        warn(
          `legacy image ${image.id}: its reassembled layer has DiffID ${blob.digest}, but the ` +
            `Docker migration recorded ${image.dockerDiffId}`,
        );
      }
      return blob;
    } catch (err) {
      if (failure === undefined || signal?.aborted) throw err;
      warn(
        `legacy image ${image.id}: its original layer cannot be reassembled (${failure.message}), ${rebuilt}`,
      );
    }
  }
  return store.content.ingest(rebuiltLayer(image, parent), undefined, { signal });
}

/** The layer of `image`, registered on its parent's layer. */
async function registerImageLayer(
  write: ImageWrite,
  image: GraphImage,
  parent: { image: GraphImage; chainId: Digest } | undefined,
  warn: (message: string) => void,
  signal?: AbortSignal,
): Promise<LayerRecord> {
  const { store } = write;
  const blob = await ingestLayer(store, image, parent?.image, warn, signal);
  await write.noteBlob(blob.digest, blob.existed);
  // A plain tar is its own DiffID: nothing to read again to learn it.
  if (!(await store.layers.blobInfo(blob.digest))) {
    const facts = { diffId: blob.digest, compression: 'none' as const };
    await store.layers.recordBlobInfo(blob.digest, { ...facts, uncompressedSize: blob.size });
  }
  const layer = await write.registerLayer(parent?.chainId, blob.digest, {
    expectedDiffId: blob.digest,
    ...(signal && { signal }),
  });
  return layer;
}

class Migration {
  private readonly done = new Map<string, Done>();
  private readonly failed = new Map<string, string>();
  readonly result: MigrationResult = { images: [], failed: [], references: [] };

  constructor(
    private readonly store: Store,
    private readonly graph: LegacyGraph,
    private readonly options: MigrateOptions,
    /** Image IDs a Docker 1.10 migration of the graph gave, by legacy ID. */
    private readonly dockerIds: ReadonlyMap<string, Digest>,
  ) {}

  private warn = (message: string): void => this.options.onWarning?.(message);

  /** Migrate `id` after its ancestors; undefined when it (or an ancestor) failed. */
  async migrate(id: string): Promise<Done | undefined> {
    if (this.done.has(id)) return this.done.get(id);
    if (this.failed.has(id)) return undefined;
    this.options.signal?.throwIfAborted();
    try {
      const image = await this.graph.image(id);
      const parent = image.parent === undefined ? undefined : await this.migrate(image.parent);
      if (image.parent !== undefined && !parent)
        throw new ShaleError('ERR_NOT_FOUND', `its parent ${image.parent} was not migrated`);
      const { done, resumed } = await this.migrateOne(image, parent);
      const dockerId = this.dockerIds.get(id);
      if (dockerId !== undefined && dockerId !== done.migrated.id) {
        this.warn(
          `legacy image ${id} migrates to ${done.migrated.id}, but the Docker migration gave it ${dockerId}`,
        );
      }
      this.done.set(id, done);
      const entry = { legacyId: id, imageId: done.migrated.id, resumed };
      this.result.images.push(entry);
      this.options.onImage?.(entry);
      return done;
    } catch (err) {
      if (this.options.signal?.aborted) throw err;
      this.failed.set(id, (err as Error).message);
      this.result.failed.push({ legacyId: id, reason: (err as Error).message });
      return undefined;
    }
  }

  private async migrateOne(
    image: GraphImage,
    parent: Done | undefined,
  ): Promise<{ done: Done; resumed: boolean }> {
    const { store } = this;
    const earlier = await store.legacy.get(image.id);
    if (earlier && (await store.images.get(earlier.image))) {
      const layer = await store.layers.get(earlier.layer);
      if (!layer) throw new ShaleError('ERR_NOT_FOUND', `its layer ${earlier.layer} is gone`);
      const done = {
        chainId: layer.chainId,
        migrated: migrateLegacyImage(image.json, layer.diffId, parent?.migrated),
      };
      if (done.migrated.id !== earlier.image) {
        throw new ShaleError(
          'ERR_INVALID_ARGUMENT',
          `its ID already names another image in the store (${earlier.image})`,
        );
      }
      return { done, resumed: true };
    }
    return writeImages(store, async (write) => {
      const parentLayer = parent && {
        image: await this.graph.image(image.parent!),
        chainId: parent.chainId,
      };
      const layer = await registerImageLayer(
        write,
        image,
        parentLayer,
        this.warn,
        this.options.signal,
      );
      const migrated = migrateLegacyImage(image.json, layer.diffId, parent?.migrated);
      await write.commit({
        config: migrated.config,
        ...(parent && { parent: parent.migrated.id }),
        legacyIds: async (id) => {
          await store.legacy.add({
            id: image.id,
            ...(image.parent !== undefined && { parent: image.parent }),
            layer: layer.chainId,
            image: id,
            json: image.json,
            ...(image.checksum !== undefined && { checksum: image.checksum }),
            ...(image.v1Compatibility && { v1Compatibility: image.v1Compatibility }),
          });
        },
      });
      return { done: { chainId: layer.chainId, migrated }, resumed: false };
    });
  }

  async applyTags(): Promise<void> {
    const repositories = await this.graph.repositories();
    if (!repositories) return;
    const mapping = new Map([...this.done].map(([id, done]) => [id, done.migrated.id]));
    for (const { reference, imageId } of migrateLegacyTags(repositories, mapping)) {
      await this.store.references.set(reference, imageId);
      this.result.references.push(reference.toString());
    }
  }
}

/** Migrate every image and tag of the Docker 1.x root `dockerRoot` into `store`. */
export async function migrateDockerRoot(
  store: Store,
  dockerRoot: string,
  options: MigrateOptions = {},
): Promise<MigrationResult> {
  const graph = await LegacyGraph.open(dockerRoot, options.driver);
  const ids = await graph.ids();
  const migration = new Migration(store, graph, options, await graph.dockerImageIds());
  for (const id of ids) await migration.migrate(id);
  await migration.applyTags();
  return migration.result;
}
