/**
 * The two phases every load shares: stage (copy blobs, register and verify layers) under a lease,
 * undoing exactly what staging added when it fails; then create the images and set their
 * references and legacy IDs, so that no image becomes visible before all of its parts are in place.
 */
import type { Digest } from '../../core/digest.ts';
import type { NamedReference } from '../../core/reference.ts';
import {
  Additions,
  withLease,
  type Descriptor,
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
  references: NamedReference[];
  /** The image it was built on (legacy loads: the parent legacy image's image, created first). */
  parent?: Digest;
  legacyIds?: StagedLegacyId[];
}

export interface LoadedImage {
  id: Digest;
  references: string[];
}

/** Stage under a lease (rolled back on failure), then create every staged image and its references. */
export async function loadStaged(
  store: Store,
  stage: (added: Additions) => Promise<StagedImage[]>,
): Promise<LoadedImage[]> {
  return withLease(store.layout, async () => {
    const added = new Additions();
    let staged: StagedImage[];
    try {
      staged = await stage(added);
    } catch (err) {
      await added.undo(store);
      throw err;
    }
    return createStaged(store, staged);
  });
}

async function createStaged(store: Store, staged: StagedImage[]): Promise<LoadedImage[]> {
  const loaded: LoadedImage[] = [];
  for (const { config, manifest, references, parent, legacyIds } of staged) {
    const image = await store.images.create(config, {
      ...(manifest && { manifest }),
      ...(parent && { parent }),
    });
    for (const legacyId of legacyIds ?? [])
      await store.legacy.add({ ...legacyId, image: image.id });
    for (const ref of references) await store.references.set(ref, image.id);
    let entry = loaded.find((l) => l.id === image.id);
    if (!entry) loaded.push((entry = { id: image.id, references: [] }));
    for (const ref of references)
      if (!entry.references.includes(ref.toString())) entry.references.push(ref.toString());
  }
  return loaded;
}
