/**
 * References: tags (`docker.io/library/alpine:latest`) and digest references naming images.
 * Kept in `shale/references.json`, changed only under the `references` lock with an atomic
 * rewrite, and mirrored into the OCI layout's `index.json` (each reference as a manifest entry
 * whose `org.opencontainers.image.ref.name` and `io.containerd.image.name` are the full
 * reference), so skopeo and umoci see every tagged image.
 */
import * as z from '../../core/zod.ts';
import type { Digest } from '../../core/digest.ts';
import { digestSchema } from '../../core/digest-schema.ts';
import { ShaleError } from '../../core/errors.ts';
import { Annotations, MediaTypes } from '../../core/media-types.ts';
import type { NamedReference } from '../../core/reference.ts';
import type { ImageStore } from '../images/index.ts';
import type { Descriptor } from '../images/manifest.ts';
import { readJsonFile, writeJsonAtomic } from '../json-file.ts';
import type { StoreLayout } from '../layout.ts';
import { withLock } from '../lock.ts';
import path from 'node:path';

const referencesSchema = z.object({ references: z.record(z.string(), digestSchema) });
type References = Record<string, Digest>;

export class ReferenceStore {
  private readonly file: string;

  constructor(
    private readonly layout: StoreLayout,
    private readonly images: ImageStore,
  ) {
    this.file = path.join(layout.metaDir, 'references.json');
  }

  /** Every reference and the image it names. */
  async all(): Promise<References> {
    const json = await readJsonFile(this.file);
    return json === undefined ? {} : referencesSchema.parse(json).references;
  }

  async resolve(ref: NamedReference): Promise<Digest | undefined> {
    return (await this.all())[ref.toString()];
  }

  /** References naming `id`, sorted. */
  async referencesOf(id: Digest): Promise<string[]> {
    return Object.entries(await this.all())
      .filter(([, target]) => target === id)
      .map(([ref]) => ref)
      .sort();
  }

  /** Point `ref` (a tag or a digest reference) at image `id`, replacing what it named before. */
  async set(ref: NamedReference, id: Digest): Promise<void> {
    if (ref.tag === undefined && ref.digest === undefined) {
      throw new ShaleError(
        'ERR_INVALID_ARGUMENT',
        `reference ${ref.toString()} needs a tag or a digest`,
      );
    }
    if (!(await this.images.get(id)))
      throw new ShaleError('ERR_NOT_FOUND', `image ${id} is not in the store`);
    await this.images.manifestOf(id); // before the lock: may write a manifest blob
    await this.update((refs) => {
      refs[ref.toString()] = id;
    });
  }

  /** Tag `id` as `docker tag` does: set the reference and record the time on the image. */
  async tag(ref: NamedReference, id: Digest): Promise<void> {
    await this.set(ref, id);
    await this.images.markTagged(id);
  }

  /** Remove references; returns those that existed. */
  async delete(refs: readonly string[]): Promise<string[]> {
    const removed: string[] = [];
    await this.update((all) => {
      for (const ref of refs) {
        if (ref in all) {
          delete all[ref];
          removed.push(ref);
        }
      }
    });
    return removed;
  }

  private async update(change: (refs: References) => void): Promise<void> {
    await withLock(this.layout, 'references', async () => {
      const refs = await this.all();
      change(refs);
      const sorted = Object.fromEntries(
        Object.entries(refs).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
      );
      await writeJsonAtomic(this.file, { references: sorted });
      await this.writeOciIndex(sorted);
    });
  }

  private async writeOciIndex(refs: References): Promise<void> {
    const manifests: (Descriptor & { annotations: Record<string, string> })[] = [];
    for (const [ref, id] of Object.entries(refs)) {
      const manifest = await this.images.manifestOf(id);
      manifests.push({
        ...manifest,
        annotations: { [Annotations.refName]: ref, [Annotations.containerdName]: ref },
      });
    }
    await writeJsonAtomic(this.layout.indexFile, {
      schemaVersion: 2,
      mediaType: MediaTypes.ociIndex,
      manifests,
    });
  }
}
