/**
 * The two phases every load shares: stage (copy blobs, register and verify layers), then commit
 * the images with their references and legacy IDs, so that no image becomes visible before all of
 * its parts are in place — both through one ImageWrite (commit-image.ts), which takes back what
 * the load added when any step fails.
 */
import type { Digest } from '../../core/digest.ts';
import type { NamedReference } from '../../core/reference.ts';
import {
  writeImages,
  type Descriptor,
  type ImageWrite,
  type NamedManifest,
  type NewLegacyEntry,
  type Store,
} from '../../store/index.ts';

/** A legacy (v1) ID the image is to be known by, once it exists. */
export type StagedLegacyId = Omit<NewLegacyEntry, 'image'>;

/** An image whose blobs and layers are in the store; only the image record is still missing. */
export interface StagedImage {
  config: Buffer;
  /** The manifest it arrived with (OCI layouts); docker archives have none. */
  manifest?: Descriptor;
  /** What its references name, when not that manifest: the index it was chosen from. */
  named?: NamedManifest;
  references: NamedReference[];
  /** The image it was built on (legacy loads: the parent legacy image's image, created first). */
  parent?: Digest;
  legacyIds?: StagedLegacyId[];
}

export interface LoadedImage {
  id: Digest;
  references: string[];
}

/**
 * Stage every image through one ImageWrite, then commit them all (records and legacy IDs, then
 * every reference at once); a failure anywhere takes back all of it.
 */
export async function loadStaged(
  store: Store,
  stage: (write: ImageWrite) => Promise<StagedImage[]>,
): Promise<LoadedImage[]> {
  return writeImages(store, async (write) => {
    const staged = await stage(write);
    const images = await write.commitAll(
      staged.map(({ config, manifest, named, references, parent, legacyIds }) => ({
        config,
        references,
        ...(manifest && { manifest }),
        ...(named && { named }),
        ...(parent && { parent }),
        ...(legacyIds && {
          legacyIds: async (id: Digest) => {
            for (const legacyId of legacyIds) await store.legacy.add({ ...legacyId, image: id });
          },
        }),
      })),
    );
    const loaded: LoadedImage[] = [];
    for (const [i, image] of images.entries()) {
      let entry = loaded.find((l) => l.id === image.id);
      if (!entry) loaded.push((entry = { id: image.id, references: [] }));
      for (const ref of staged[i]!.references)
        if (!entry.references.includes(ref.toString())) entry.references.push(ref.toString());
    }
    return loaded;
  });
}
