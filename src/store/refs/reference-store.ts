/**
 * References: tags (`docker.io/library/alpine:latest`) and digest references naming images.
 * Kept in `shale/references.json`, the truth, changed only under the `references` lock with an
 * atomic rewrite, and mirrored into the OCI layout's `index.json` (each reference as a manifest
 * entry whose `org.opencontainers.image.ref.name` and `io.containerd.image.name` are the full
 * reference), so skopeo and umoci see every tagged image. Each change counts a generation, written
 * into both files; a mirror whose generation differs (a writer killed between the two renames) is
 * rebuilt by `reconcile`, which opening a store runs. A `references.json` that does not parse is
 * an ERR_BAD_RECORD for every reader; `fsck --repair` rebuilds it from `index.json`
 * (`recoverFromIndex`).
 */
import * as z from '../../core/zod.ts';
import type { Digest } from '../../core/digest.ts';
import { digestSchema } from '../../core/digest-schema.ts';
import { isShaleError, ShaleError } from '../../core/errors.ts';
import { Annotations, MediaTypes } from '../../core/media-types.ts';
import { parseDockerRef, type NamedReference } from '../../core/reference.ts';
import type { ImageStore } from '../images/index.ts';
import type { Descriptor } from '../images/manifest.ts';
import { readJsonFile, writeJsonAtomic } from '../json-file.ts';
import type { StoreLayout } from '../layout.ts';
import { withLease } from '../leases.ts';
import { withLock } from '../lock.ts';
import { keepInQuarantine } from '../record-quarantine.ts';
import { readRecord } from '../record-file.ts';
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
/** What `recoverFromIndex` reads of each `index.json` entry: its manifest and reference name. */
const indexEntriesSchema = z.object({
  manifests: z.array(
    z.object({ digest: digestSchema, annotations: z.optional(z.record(z.string(), z.string())) }),
  ),
});

/** What `recoverFromIndex` did. */
export interface RecoveredReferences {
  /** The references rebuilt. */
  references: References;
  /** Entries of `index.json` left out, and why. */
  lost: { ref: string; manifest: Digest; why: string }[];
  /** Where the damaged file is kept, relative to the store root. */
  kept: string;
}

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

  /** The references file; ERR_BAD_RECORD (naming `shale fsck --repair`) when it is damaged. */
  private async read(): Promise<{ generation: number; references: References }> {
    const parsed = await readRecord(this.file, referencesSchema);
    return { generation: parsed?.generation ?? 0, references: parsed?.references ?? {} };
  }

  /** The generation `index.json` mirrors; undefined when it does not parse (it is rebuilt). */
  private async mirroredGeneration(): Promise<number | undefined> {
    const json: unknown = await readJsonFile(this.layout.indexFile).catch(() => null);
    if (json === undefined) return 0;
    const parsed = indexGenerationSchema.safeParse(json);
    if (!parsed.success) return undefined;
    return Number(parsed.data.annotations?.[GENERATION_ANNOTATION] ?? 0);
  }

  /** Rewrite `index.json` from the references (`fsck --repair`); how many references it lists. */
  async rebuildIndex(): Promise<number> {
    return withLock(this.layout, 'references', async () => {
      const { generation, references } = await this.read();
      await this.writeOciIndex(references, generation);
      return Object.keys(references).length;
    });
  }

  /**
   * Rebuild a damaged `references.json` from its mirror (`fsck --repair`): each `index.json` entry's
   * reference name names the image its manifest is of; entries whose image is not in the store are
   * left out. The damaged file is kept in quarantine; the new one counts a generation past the
   * mirror's, so `index.json` is rebuilt next. Undefined when `references.json` is sound.
   */
  async recoverFromIndex(): Promise<RecoveredReferences | undefined> {
    return withLock(this.layout, 'references', async () => {
      const damaged = await this.read().then(
        () => false,
        (err: unknown) => {
          if (isShaleError(err, 'ERR_BAD_RECORD')) return true;
          throw err;
        },
      );
      if (!damaged) return undefined;
      const found: [string, Digest][] = [];
      const lost: RecoveredReferences['lost'] = [];
      for (const { ref, manifest } of await this.mirroredEntries()) {
        if (!isFullReference(ref)) {
          lost.push({ ref, manifest, why: 'not a full reference' });
          continue;
        }
        const id = await this.images.imageOfManifest(manifest);
        if (id !== undefined) found.push([ref, id]);
        else
          lost.push({ ref, manifest, why: `names manifest ${manifest}, of no image in the store` });
      }
      const references = sortedReferences(Object.fromEntries(found));
      const kept = await keepInQuarantine(this.layout, this.file);
      const generation = ((await this.mirroredGeneration()) ?? 0) + 1;
      await writeJsonAtomic(this.file, { generation, references });
      return { references, lost, kept };
    });
  }

  /** The entries of `index.json` that name a reference; none when it does not parse. */
  private async mirroredEntries(): Promise<{ ref: string; manifest: Digest }[]> {
    const json: unknown = await readJsonFile(this.layout.indexFile).catch(() => undefined);
    const parsed = indexEntriesSchema.safeParse(json);
    if (!parsed.success) return [];
    return parsed.data.manifests.flatMap((entry) => {
      const ref = entry.annotations?.[Annotations.refName];
      return ref === undefined ? [] : [{ ref, manifest: entry.digest }];
    });
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

  /**
   * Point `ref` (a tag or a digest reference) at image `id`, replacing what it named before;
   * returns that. The image is checked under the lock, so an `rmi` cannot slip in between.
   */
  async set(ref: NamedReference, id: Digest): Promise<Digest | undefined> {
    if (ref.tag === undefined && ref.digest === undefined) {
      throw new ShaleError(
        'ERR_INVALID_ARGUMENT',
        `reference ${ref.toString()} needs a tag or a digest`,
      );
    }
    const missing = () => new ShaleError('ERR_NOT_FOUND', `image ${id} is not in the store`);
    const record = await this.images.get(id);
    if (!record) throw missing();
    // Before the lock, under a lease: writing a manifest blob for an image that had none.
    if (!record.manifest) await withLease(this.layout, () => this.images.manifestOf(id));
    let previous: Digest | undefined;
    await this.update(async (refs) => {
      if (!(await this.images.get(id))) throw missing();
      previous = refs[ref.toString()];
      refs[ref.toString()] = id;
    });
    return previous;
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

  /**
   * Undo `set`s of a failed writer, newest first: each reference that still names the writer's
   * image names what it named before (or nothing) again.
   */
  async restore(
    changes: readonly { ref: string; previous: Digest | undefined; image: Digest }[],
  ): Promise<void> {
    if (changes.length === 0) return;
    await this.update((refs) => {
      for (const { ref, previous, image } of changes) {
        if (refs[ref] !== image) continue;
        if (previous === undefined) delete refs[ref];
        else refs[ref] = previous;
      }
    });
  }

  /**
   * Run `remove` (an image's removal) under the lock, only if no reference names `id`; returns
   * whether it ran. Together with the check in `set`, no reference can name a removed image.
   */
  async whileUnreferenced(id: Digest, remove: () => Promise<void>): Promise<boolean> {
    return withLock(this.layout, 'references', async () => {
      const { references } = await this.read();
      if (Object.values(references).includes(id)) return false;
      await remove();
      return true;
    });
  }

  private async update(change: (refs: References) => void | Promise<void>): Promise<void> {
    await withLock(this.layout, 'references', async () => {
      const { generation, references: refs } = await this.read();
      await change(refs);
      const sorted = sortedReferences(refs);
      await writeJsonAtomic(this.file, { generation: generation + 1, references: sorted });
      await this.writeOciIndex(sorted, generation + 1);
    });
  }

  private async writeOciIndex(refs: References, generation: number): Promise<void> {
    const manifests: (Descriptor & { annotations: Record<string, string> })[] = [];
    for (const [ref, id] of Object.entries(refs)) {
      // A reference to an image that is gone (damage `shale fsck` reports) has no entry.
      const manifest = await this.images.manifestOf(id).catch((err: unknown) => {
        if (isShaleError(err, 'ERR_NOT_FOUND')) return undefined;
        throw err;
      });
      if (!manifest) continue;
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

/** Whether `name` is a reference as this store writes them (`docker.io/library/alpine:3`). */
function isFullReference(name: string): boolean {
  try {
    return parseDockerRef(name).toString() === name;
  } catch {
    return false;
  }
}

/** `refs` in the order they are written: by reference. */
function sortedReferences(refs: References): References {
  return Object.fromEntries(Object.entries(refs).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
