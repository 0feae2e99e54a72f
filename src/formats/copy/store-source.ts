/**
 * The store as the source of a copy (`store:REF`, REF a reference or image ID as `push` takes
 * it): what a push of REF sends (registry/push/plan.ts) — the manifest the reference names, byte
 * for byte; an index whole when the store holds every manifest it lists, else the manifest chosen
 * from it; the image's own manifest for an image ID (plain layers gzip'd first, and stored, as
 * push does) — and blobs read from the content store, which verifies them as they stream.
 */
import type { Readable } from 'node:stream';
import { planPush, type PushPlan } from '../../registry/index.ts';
import type { Store } from '../../store/index.ts';
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

  async resolve(signal?: AbortSignal): Promise<ResolvedManifest> {
    const plan = await this.#planned(signal);
    const { mediaType, digest, bytes } = plan.index ?? plan.manifests.at(-1)!;
    return { mediaType, digest, bytes };
  }

  async readManifest(descriptor: Descriptor, signal?: AbortSignal): Promise<Buffer> {
    const plan = await this.#planned(signal);
    const planned = plan.manifests.find((m) => m.digest === descriptor.digest);
    return planned?.bytes ?? this.store.content.read(descriptor.digest);
  }

  openBlob(descriptor: Descriptor): Promise<Readable> {
    return Promise.resolve(this.store.content.open(descriptor.digest));
  }

  #planned(signal?: AbortSignal): Promise<PushPlan> {
    return (this.#plan ??= planPush(this.store, this.reference, signal));
  }
}
