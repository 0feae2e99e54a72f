/**
 * References: tags (`docker.io/library/alpine:latest`) and digest references naming images.
 * Kept in `shale/references.json`, the truth, changed only under the `references` lock with an
 * atomic rewrite, and mirrored into the OCI layout's `index.json` (each reference as a manifest
 * entry whose `org.opencontainers.image.ref.name` and `io.containerd.image.name` are the full
 * reference), so skopeo and umoci see every tagged image. Each change counts a generation, written
 * into both files; a mirror whose generation differs (a writer killed between the two renames) is
 * rebuilt by `reconcile`, which opening a store runs.
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

const referencesSchema = z.object({
  generation: z.optional(z.number().check(z.int(), z.nonnegative())),
  references: z.record(z.string(), digestSchema),
});
type References = Record<string, Digest>;

/** The annotation of `index.json` that says which generation of the references it mirrors. */
const GENERATION_ANNOTATION = 'io.shale.references.generation';
const indexGenerationSchema = z.object({
  annotations: z.optional(z.record(z.string(), z.string())),
});

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
    return (await this.read()).references;
  }

  private async read(): Promise<{ generation: number; references: References }> {
    const json = await readJsonFile(this.file);
    if (json === undefined) return { generation: 0, references: {} };
    const parsed = referencesSchema.parse(json);
    return { generation: parsed.generation ?? 0, references: parsed.references };
  }

  private async mirroredGeneration(): Promise<number> {
    const json = await readJsonFile(this.layout.indexFile);
    const annotations =
      json === undefined ? undefined : indexGenerationSchema.parse(json).annotations;
    return Number(annotations?.[GENERATION_ANNOTATION] ?? 0);
  }

  /** Rebuild `index.json` from the references when it mirrors another generation of them. */
  async reconcile(): Promise<void> {
    if ((await this.read()).generation === (await this.mirroredGeneration())) return;
    await withLock(this.layout, 'references', async () => {
      const { generation, references } = await this.read();
      if (generation !== (await this.mirroredGeneration()))
        await this.writeOciIndex(references, generation);
    });
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
      const { generation, references: refs } = await this.read();
      change(refs);
      const sorted = Object.fromEntries(
        Object.entries(refs).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
      );
      await writeJsonAtomic(this.file, { generation: generation + 1, references: sorted });
      await this.writeOciIndex(sorted, generation + 1);
    });
  }

  private async writeOciIndex(refs: References, generation: number): Promise<void> {
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
      annotations: { [GENERATION_ANNOTATION]: String(generation) },
    });
  }
}
