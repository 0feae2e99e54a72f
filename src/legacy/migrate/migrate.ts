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
 * descendants are skipped (so are images whose parents lead back to themselves: order.ts). Tags
 * from `repositories-<driver>` are then applied to the images that migrated. A layer is made (both
 * reassembly threads busy) while the image before is registered, so the threads do not wait for
 * the store's writes; images are still registered, and reported, parents first.
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
import { ingestLayerTar } from './layer-tar.ts';
import { migrationOrder, type MigrationOrder } from './order.ts';

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
  resumed: boolean;
}

/** The layer `blob` of an image, registered on its parent's layer. */
async function registerImageLayer(
  write: ImageWrite,
  blob: IngestResult,
  parentChainId: Digest | undefined,
  signal?: AbortSignal,
): Promise<LayerRecord> {
  const { store } = write;
  // A plain tar is its own DiffID: nothing to read again to learn it.
  if (!(await store.layers.blobInfo(blob.digest))) {
    const facts = { diffId: blob.digest, compression: 'none' as const };
    await store.layers.recordBlobInfo(blob.digest, { ...facts, uncompressedSize: blob.size });
  }
  const layer = await write.registerLayer(parentChainId, blob.digest, {
    expectedDiffId: blob.digest,
    ...(signal && { signal }),
  });
  return layer;
}

class Migration {
  /** Each image's migration, begun in order or (its layer) a little ahead, by legacy ID. */
  private readonly tasks = new Map<string, Promise<Done>>();
  /** Each image's place in the order, by legacy ID. */
  private readonly place = new Map<string, number>();
  /**
   * Each image's turn, resolved once `run` has reported it: an image begun ahead registers only
   * after the one before it is reported, so it stops (rolled back) with a run that stops there.
   */
  private readonly turns: { reported: Promise<void>; report: () => void }[];
  readonly result: MigrationResult = { images: [], failed: [], references: [] };

  constructor(
    private readonly store: Store,
    private readonly graph: LegacyGraph,
    private readonly options: MigrateOptions,
    /** Image IDs a Docker 1.10 migration of the graph gave, by legacy ID. */
    private readonly dockerIds: ReadonlyMap<string, Digest>,
    private readonly plan: MigrationOrder,
  ) {
    plan.order.forEach((id, i) => this.place.set(id, i));
    this.turns = plan.order.map(() => {
      let report!: () => void;
      const reported = new Promise<void>((resolve) => (report = resolve));
      return { reported, report };
    });
  }

  private warn = (message: string): void => this.options.onWarning?.(message);

  /**
   * Migrate every image, parents first, and report each in that order; settles once nothing it
   * began is still under way.
   */
  async run(): Promise<void> {
    const { order } = this.plan;
    try {
      for (const [i, id] of order.entries()) {
        this.options.signal?.throwIfAborted();
        try {
          const { migrated, resumed } = await this.task(id);
          const entry = { legacyId: id, imageId: migrated.id, resumed };
          this.result.images.push(entry);
          this.options.onImage?.(entry);
        } catch (err) {
          if (this.options.signal?.aborted) throw err;
          this.result.failed.push({ legacyId: id, reason: (err as Error).message });
        } finally {
          this.turns[i]!.report();
        }
      }
    } finally {
      for (const turn of this.turns) turn.report(); // (an image begun ahead sees the run stopped)
      await Promise.allSettled(this.tasks.values());
    }
  }

  /** The migration of `id`, begun now unless it is under way. */
  private task(id: string): Promise<Done> {
    let task = this.tasks.get(id);
    if (!task) {
      task = this.migrate(id);
      task.catch(() => undefined); // reported by run, in order
      this.tasks.set(id, task);
    }
    return task;
  }

  /** Begin the migration of the image after `id` (its layer is made while `id` is registered). */
  private beginNext(id: string): void {
    const next = this.plan.order[this.place.get(id)! + 1];
    if (next !== undefined) void this.task(next);
  }

  /** Resolves once the image before `id` in the order is reported. */
  private async turnOf(id: string): Promise<void> {
    await this.turns[this.place.get(id)! - 1]?.reported;
  }

  private async migrate(id: string): Promise<Done> {
    this.options.signal?.throwIfAborted();
    if (this.plan.cyclic.has(id))
      throw new ShaleError('ERR_BAD_RECORD', `its parents lead back to itself`);
    const image = await this.graph.image(id);
    const parent =
      image.parent === undefined
        ? undefined
        : this.task(image.parent).catch(() => {
            throw new ShaleError('ERR_NOT_FOUND', `its parent ${image.parent} was not migrated`);
          });
    parent?.catch(() => undefined); // seen where it is awaited
    const done = (await this.resumed(image, parent)) ?? (await this.write(image, parent));
    const dockerId = this.dockerIds.get(id);
    if (dockerId !== undefined && dockerId !== done.migrated.id) {
      this.warn(
        `legacy image ${id} migrates to ${done.migrated.id}, but the Docker migration gave it ${dockerId}`,
      );
    }
    return done;
  }

  /** An image an earlier run migrated: its IDs again, from what the store keeps of it. */
  private async resumed(
    image: GraphImage,
    parent: Promise<Done> | undefined,
  ): Promise<Done | undefined> {
    const { store } = this;
    const earlier = await store.legacy.get(image.id);
    if (!earlier || !(await store.images.get(earlier.image))) return undefined;
    const layer = await store.layers.get(earlier.layer);
    if (!layer) throw new ShaleError('ERR_NOT_FOUND', `its layer ${earlier.layer} is gone`);
    const migrated = migrateLegacyImage(image.json, layer.diffId, (await parent)?.migrated);
    if (migrated.id !== earlier.image) {
      throw new ShaleError(
        'ERR_INVALID_ARGUMENT',
        `its ID already names another image in the store (${earlier.image})`,
      );
    }
    return { chainId: layer.chainId, migrated, resumed: true };
  }

  /**
   * Write the image: its layer blob first (the next image's begins once it is in), then, once
   * its parent is migrated, its layer on the parent's and its config; rolled back if it fails.
   */
  private write(image: GraphImage, parent: Promise<Done> | undefined): Promise<Done> {
    const { store, options } = this;
    return writeImages(store, async (write) => {
      // (a parent that cannot be read is one that was not migrated: that failure is the one to tell)
      const parentImage =
        image.parent === undefined
          ? undefined
          : await this.graph.image(image.parent).catch(async (err: unknown) => {
              await parent;
              throw err;
            });
      const blob = await ingestLayerTar(store, image, parentImage, this.warn, options.signal);
      await write.noteBlob(blob.digest, blob.existed);
      this.beginNext(image.id);
      await this.turnOf(image.id);
      const before = await parent;
      options.signal?.throwIfAborted(); // (begun ahead, it is stopped with the images before it)
      const layer = await registerImageLayer(write, blob, before?.chainId, options.signal);
      const migrated = migrateLegacyImage(image.json, layer.diffId, before?.migrated);
      await write.commit({
        config: migrated.config,
        ...(before && { parent: before.migrated.id }),
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
      return { chainId: layer.chainId, migrated, resumed: false };
    });
  }

  async applyTags(): Promise<void> {
    const repositories = await this.graph.repositories();
    if (!repositories) return;
    const mapping = new Map(this.result.images.map((image) => [image.legacyId, image.imageId]));
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
  const plan = await migrationOrder(graph, await graph.ids());
  const migration = new Migration(store, graph, options, await graph.dockerImageIds(), plan);
  await migration.run();
  await migration.applyTags();
  return migration.result;
}
