/**
 * `migrate`: bring a Docker 1.x graph (vfs driver) into the store with the image IDs Docker 1.10's
 * migration gives (spec §4.5). Parents first, each legacy image's layer is the difference between
 * its rootfs and its parent's (§7.3–7.4) and its config is MakeConfigFromV1Config over the
 * accumulated rootfs and history; the image keeps its legacy ID, JSON, v1Compatibility and
 * checksum file in the legacy index. That entry, written last, is the progress record: a rerun
 * skips images that have one (recomputing only their IDs), so an interrupted migration resumes.
 * An image that fails is rolled back and reported, and its descendants are skipped. Tags from
 * `repositories-vfs` are then applied to the images that migrated.
 */
import { changes, exportChanges } from '../../archive/changes/index.ts';
import type { Digest } from '../../core/digest.ts';
import { ShaleError } from '../../core/errors.ts';
import { ensureLayerTarsum } from '../layer-checksum.ts';
import { migrateLegacyImage, migrateLegacyTags, type MigratedImage } from '../migration.ts';
import { writeImages, type ImageWrite, type LayerRecord, type Store } from '../../store/index.ts';
import { LegacyGraph, type GraphImage } from './graph.ts';

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
}

interface Done {
  chainId: Digest;
  migrated: MigratedImage;
}

/** The layer of `image`: its rootfs against its parent's, registered on the parent's layer. */
async function registerDiff(
  write: ImageWrite,
  image: GraphImage,
  parent: { rootfs: string; chainId: Digest } | undefined,
  signal?: AbortSignal,
): Promise<LayerRecord> {
  const { store } = write;
  const diff = exportChanges(image.rootfs, changes(image.rootfs, parent?.rootfs));
  const blob = await store.content.ingest(diff, undefined, signal);
  await write.noteBlob(blob.digest, blob.existed);
  const layer = await write.registerLayer(parent?.chainId, blob.digest, { signal });
  await ensureLayerTarsum(store, layer.chainId);
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
  ) {}

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
      const parentDiff = parent && {
        rootfs: (await this.graph.image(image.parent!)).rootfs,
        chainId: parent.chainId,
      };
      const layer = await registerDiff(write, image, parentDiff, this.options.signal);
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
            checksum: image.checksum ?? (await ensureLayerTarsum(store, layer.chainId)),
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
  const graph = new LegacyGraph(dockerRoot);
  const ids = await graph.ids();
  const migration = new Migration(store, graph, options);
  for (const id of ids) await migration.migrate(id);
  await migration.applyTags();
  return migration.result;
}
