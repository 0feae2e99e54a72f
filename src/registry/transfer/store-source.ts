/**
 * The store as the source of a transfer (`store:REF` of `copy`, and every `push`; REF a reference
 * or image ID): what push/plan.ts picks — the manifest the reference names, byte for byte; an
 * index whole when the store holds every manifest it lists, else the manifest chosen from it; the
 * image's own manifest for an image ID (plain layers gzip'd first, and stored). Every blob the
 * plan names must be stored before anything is sent. Blobs are read from the content store's
 * files (the transfer hashes them on the way; one whose write failed is hashed whole, and if
 * damaged goes to quarantine with the store's own error), and by range for resumable chunked
 * uploads; mounts are offered from the repositories each layer blob was
 * pulled from, and layers are named by their DiffIDs, as Docker's push names them.
 */
import type { Readable } from 'node:stream';
import { openFileRange, openReadStream } from '../../archive/open-read-stream.ts';
import type { Digest } from '../../core/digest.ts';
import { parseImageConfig } from '../../core/image-config.ts';
import { parseDockerRef, type NamedReference } from '../../core/reference.ts';
import type { Store } from '../../store/index.ts';
import { planPush, type PushPlan } from '../push/plan.ts';
import type { Descriptor, ImageSource, ResolvedManifest } from './seam.ts';

export class StoreSource implements ImageSource {
  readonly name: string;
  #plan: Promise<PushPlan> | undefined;

  constructor(
    private readonly store: Store,
    private readonly reference: string,
  ) {
    this.name = `store:${reference}`;
  }

  /** What is sent, and why: the push plan (planned once, with every blob it names checked). */
  planned(signal?: AbortSignal): Promise<PushPlan> {
    return (this.#plan ??= this.#makePlan(signal));
  }

  async resolve(signal?: AbortSignal): Promise<ResolvedManifest> {
    const plan = await this.planned(signal);
    const { mediaType, digest, bytes } = plan.index ?? plan.manifests.at(-1)!;
    return { mediaType, digest, bytes };
  }

  async readManifest(descriptor: Descriptor, signal?: AbortSignal): Promise<Buffer> {
    const plan = await this.planned(signal);
    const planned = plan.manifests.find((m) => m.digest === descriptor.digest);
    return planned?.bytes ?? this.store.content.read(descriptor.digest);
  }

  /** The stored file as it is: the transfer hashes it on the way (and checkBlob explains damage). */
  openBlob(descriptor: Descriptor): Promise<Readable> {
    return openReadStream(this.store.content.blobPath(descriptor.digest));
  }

  openBlobRange(descriptor: Descriptor, start: number, end: number): Readable {
    return openFileRange(this.store.content.blobPath(descriptor.digest), start, end);
  }

  async checkBlob(descriptor: Descriptor): Promise<void> {
    // One a failed read already moved to quarantine says so; else the whole blob is hashed.
    await this.store.content.requireStored(descriptor.digest);
    await this.store.content.verifyWhole(descriptor.digest);
  }

  async mountSources(descriptor: Descriptor): Promise<NamedReference[]> {
    const sources = (await this.store.layers.blobInfo(descriptor.digest))?.sources ?? [];
    return sources.map((source) => parseDockerRef(source));
  }

  async layerDiffIds(signal?: AbortSignal): Promise<ReadonlyMap<Digest, Digest>> {
    const diffIds = new Map<Digest, Digest>();
    for (const { manifest } of (await this.planned(signal)).manifests) {
      const config = parseImageConfig(await this.store.content.read(manifest.config.digest));
      for (const [i, layer] of manifest.layers.entries()) {
        const diffId = config.config.rootfs.diff_ids[i];
        if (diffId !== undefined) diffIds.set(layer.digest, diffId);
      }
    }
    return diffIds;
  }

  async #makePlan(signal?: AbortSignal): Promise<PushPlan> {
    const plan = await planPush(this.store, this.reference, signal);
    // Before the destination is asked anything: a blob this store lacks is this store's error.
    for (const { manifest } of plan.manifests)
      for (const blob of [...manifest.layers, manifest.config])
        await this.store.content.requireStored(blob.digest);
    return plan;
  }
}
