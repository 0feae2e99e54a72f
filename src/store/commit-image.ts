/**
 * The one way images enter the store. Every writer — pull (schema2 and schema1), load of each
 * archive format, import, commit, migrate — runs inside `writeImages`: under a lease (prune leaves
 * alone whatever a running writer stored or reused), it stores blobs and registers layers through
 * the `ImageWrite` it is given, keeps its temporary files in scratch directories, and makes each
 * image visible with `commit`: under the gc lock, after checking that every part is still stored,
 * the image record, then its legacy IDs, then its references. When the writer fails, everything it
 * added that no image and no other running writer uses is taken away again, so the store is as it
 * was; a killed writer leaves only what the next prune removes.
 */
import type { Digest } from '../core/digest.ts';
import { isShaleError, ShaleError } from '../core/errors.ts';
import { chainIdStep } from '../core/ids.ts';
import { parseImageConfig } from '../core/image-config.ts';
import type { NamedReference } from '../core/reference.ts';
import { Additions } from './additions.ts';
import { GC_LOCK, releaseAdditions } from './gc.ts';
import type { ImageRecord } from './images/index.ts';
import type { Descriptor } from './images/manifest.ts';
import type { LayerRecord, RegisterOptions } from './layers/index.ts';
import type { NamedManifest, ReferenceTarget } from './refs/index.ts';
import { touch, withLease, type Lease } from './leases.ts';
import { withLock } from './lock.ts';
import { createScratch, type Scratch } from './scratch.ts';
import type { Store } from './store.ts';

/** An image to make visible; its layers must have been registered through the same write. */
export interface NewImage {
  config: Uint8Array;
  /** The manifest it is published with, already stored as a blob. */
  manifest?: Descriptor;
  /**
   * What its references name, already stored: the manifest or index it came with (default:
   * `manifest`, else the image's own manifest).
   */
  named?: NamedManifest;
  /** The image it was built on (commit, legacy loads and migration). */
  parent?: Digest;
  references?: readonly NamedReference[];
  /** Record the tagging time, as Docker does for tag, commit and import (not pull or load). */
  markTagged?: boolean;
  /** Record the image's legacy (v1) IDs once its ID is known, before any reference names it. */
  legacyIds?: (image: Digest) => Promise<void>;
}

/** What one writer changed in the store, and the handle through which it changes it. */
export class ImageWrite {
  /** Blobs and layers this write added (those already there are only touched). */
  readonly added = new Additions();
  private readonly created: Digest[] = [];
  private readonly retargeted: {
    ref: string;
    previous: ReferenceTarget | undefined;
    image: Digest;
  }[] = [];
  private readonly scratches: Scratch[] = [];

  constructor(
    readonly store: Store,
    readonly lease: Lease,
  ) {}

  /** A private directory for temporary files, removed when the write ends. */
  async scratch(purpose: string): Promise<Scratch> {
    const scratch = await createScratch(this.store.layout, purpose);
    this.scratches.push(scratch);
    return scratch;
  }

  /** Account for a blob put in the store by this write, or found there (then kept from prune). */
  async noteBlob(digest: Digest, existed: boolean): Promise<void> {
    if (existed) await touch(this.store.content.blobPath(digest));
    else if (!this.added.blobs.includes(digest)) this.added.blobs.push(digest);
  }

  /** Register (or find) the layer `blob` holds on top of `parent`, kept from prune either way. */
  async registerLayer(
    parent: Digest | undefined,
    blob: Digest,
    options: RegisterOptions = {},
  ): Promise<LayerRecord> {
    const { layers } = this.store;
    const { existed, record } = await this.stillStored(blob, parent, async () => {
      const expected =
        options.expectedDiffId ?? (await layers.describeBlob(blob, options.signal)).diffId;
      const existed = (await layers.get(chainIdStep(parent, expected))) !== undefined;
      return { existed, record: await layers.registerBlob(parent, blob, options) };
    });
    if (existed) await touch(layers.recordPath(record.chainId));
    else if (!this.added.layers.includes(record.chainId)) this.added.layers.push(record.chainId);
    return record;
  }

  /**
   * Run `use` of a blob this write stored or reused, on top of a layer it registered; the blob or
   * that layer missing (a prune or rmi that looked at it just before this write touched it) is a
   * conflict: running the command again helps.
   */
  private async stillStored<T>(
    blob: Digest,
    parent: Digest | undefined,
    use: () => Promise<T>,
  ): Promise<T> {
    try {
      return await use();
    } catch (err) {
      if (!isShaleError(err, 'ERR_NOT_FOUND')) throw err;
      if (!(await this.store.content.has(blob))) throw conflict(`blob ${blob}`);
      if (parent !== undefined && !(await this.store.layers.get(parent)))
        throw conflict(`layer ${parent}`);
      throw err;
    }
  }

  /** Make `image` visible: the record, its legacy IDs, then its references. */
  async commit(image: NewImage): Promise<ImageRecord> {
    return (await this.commitAll([image]))[0]!;
  }

  /**
   * Make `images` visible, in order: each one's record and legacy IDs, then the references of
   * them all in one change of the references file (a load of many images would otherwise rewrite
   * it, and its `index.json` mirror, once per tag).
   */
  async commitAll(images: readonly NewImage[]): Promise<ImageRecord[]> {
    const { store } = this;
    return withLock(store.layout, GC_LOCK, async () => {
      const records: { record: ImageRecord; existed: ImageRecord | undefined }[] = [];
      for (const image of images) {
        await this.checkStillStored(image);
        const existed = await store.images.get(parseImageConfig(image.config).id);
        const record = await store.images.create(image.config, {
          ...(image.manifest && { manifest: image.manifest }),
          ...(image.parent && { parent: image.parent }),
        });
        if (!existed) this.created.push(record.id);
        await this.noteBlob(record.id, existed !== undefined); // the config
        await image.legacyIds?.(record.id);
        records.push({ record, existed });
      }
      const entries = images.flatMap((image, i) => {
        const named = image.named ?? (image.manifest && { descriptor: image.manifest });
        const id = records[i]!.record.id;
        return (image.references ?? []).map((ref) => ({ ref, id, ...(named && { named }) }));
      });
      const previous = await store.references.setAll(entries);
      for (const [i, { ref, id }] of entries.entries())
        this.retargeted.push({ ref: ref.toString(), previous: previous[i], image: id });
      for (const [i, image] of images.entries()) {
        const { record, existed } = records[i]!;
        if (image.markTagged && image.references?.length) await store.images.markTagged(record.id);
        // A reference needs a manifest: one written for it now is this write's too.
        const manifest = (await store.images.get(record.id))?.manifest;
        if (manifest && manifest.digest !== image.manifest?.digest && !existed?.manifest)
          await this.noteBlob(manifest.digest, false);
      }
      return records.map(({ record }) => record);
    });
  }

  /**
   * Under the gc lock, before the image record is written: every layer of its rootfs with a blob,
   * its manifest and its parent are still there. A prune or rmi that ran while this write worked
   * may have taken something before the write touched it; then the write fails cleanly instead of
   * creating an image that names what is gone.
   */
  private async checkStillStored(image: NewImage): Promise<void> {
    const { store } = this;
    let chainId: Digest | undefined;
    for (const diffId of parseImageConfig(image.config).config.rootfs.diff_ids) {
      chainId = chainIdStep(chainId, diffId);
      if (!(await store.layers.get(chainId))) throw conflict(`layer ${chainId}`);
      const blobs = await store.layers.blobsOf(diffId);
      if (!(await someStored(store, blobs))) throw conflict(`the blob of layer ${chainId}`);
    }
    const manifests = [image.manifest, image.named?.descriptor, image.named?.manifest];
    for (const manifest of manifests)
      if (manifest && !(await store.content.has(manifest.digest)))
        throw conflict(`manifest ${manifest.digest}`);
    if (image.parent && !(await store.images.get(image.parent)))
      throw conflict(`parent image ${image.parent}`);
  }

  /** Take back what this write added, leaving what others use (called on failure). */
  async rollBack(): Promise<void> {
    const { store } = this;
    await withLock(store.layout, GC_LOCK, async () => {
      await store.references.restore(this.retargeted.reverse());
      for (const id of this.created.reverse()) {
        const removed = await store.references.whileUnreferenced(id, () => store.images.delete(id));
        if (removed) await store.legacy.deleteImage(id);
      }
      await releaseAdditions(store, this.added, this.lease);
    });
  }

  async disposeScratches(): Promise<void> {
    for (const scratch of this.scratches) await scratch.dispose();
  }
}

function conflict(what: string): ShaleError {
  return new ShaleError(
    'ERR_CONFLICT',
    `${what} was removed by a concurrent prune or rmi while this image was being written; run the command again`,
  );
}

async function someStored(store: Store, blobs: readonly Digest[]): Promise<boolean> {
  for (const blob of blobs) if (await store.content.has(blob)) return true;
  return false;
}

/**
 * Run `fn` as one writer of images: everything it adds through the ImageWrite is kept when it
 * returns and taken back when it throws.
 */
export async function writeImages<T>(
  store: Store,
  fn: (write: ImageWrite) => Promise<T>,
): Promise<T> {
  return withLease(store.layout, async (lease) => {
    const write = new ImageWrite(store, lease);
    try {
      return await fn(write);
    } catch (err) {
      // What a failed rollback leaves (say, on a full disk) is garbage the next prune removes;
      // the writer's own error is the one to report.
      await write.rollBack().catch(() => undefined);
      throw err;
    } finally {
      await write.disposeScratches();
    }
  });
}
