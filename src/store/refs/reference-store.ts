/**
 * References: tags (`docker.io/library/alpine:latest`) and digest references, each naming the
 * manifest or index it was pulled, loaded, pushed or tagged with (references-file.ts) and the image
 * that reaches. Kept in `shale/references.json`, the truth, changed only under the `references`
 * lock with an atomic rewrite, and mirrored into the OCI layout's `index.json` (index-mirror.ts).
 * Each change counts a generation, written into both files; a mirror whose generation differs (a
 * writer killed between the two renames) is rebuilt by `reconcile`, which opening a store runs. A
 * `references.json` that does not parse is an ERR_BAD_RECORD for every reader; `fsck --repair`
 * rebuilds it from `index.json` (`recoverFromIndex`).
 */
import type { Digest } from '../../core/digest.ts';
import { isShaleError, ShaleError } from '../../core/errors.ts';
import { isImageManifest } from '../../core/media-types.ts';
import { parseDockerRef, type NamedReference } from '../../core/reference.ts';
import type { ContentStore } from '../content/index.ts';
import type { ImageStore } from '../images/index.ts';
import type { Descriptor } from '../images/manifest.ts';
import { fileStamp } from '../file-stamp.ts';
import { writeJsonAtomic } from '../json-file.ts';
import type { StoreLayout } from '../layout.ts';
import { withLease } from '../leases.ts';
import { withLock } from '../lock.ts';
import { keepInQuarantine } from '../record-quarantine.ts';
import { readRecord } from '../record-file.ts';
import { mirroredEntries, mirroredGeneration, writeMirror } from './index-mirror.ts';
import {
  formatReferences,
  fromFormat1,
  referencesFileSchema,
  sortedReferences,
  type ReferenceTarget,
  type References,
} from './references-file.ts';
import { stat } from 'node:fs/promises';
import path from 'node:path';

/** What a reference is set to name: a manifest, or an index and the manifest chosen from it. */
export interface NamedManifest {
  descriptor: Descriptor;
  manifest?: Descriptor;
}

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
  /** The references as last parsed, and the file status they were parsed at. */
  private parsed: { stamp: string; generation: number; references: References } | undefined;

  constructor(
    private readonly layout: StoreLayout,
    private readonly images: ImageStore,
    private readonly content: ContentStore,
  ) {
    this.file = path.join(layout.metaDir, 'references.json');
  }

  /** Every reference and the image it reaches. */
  async all(): Promise<Record<string, Digest>> {
    const targets = await this.targets();
    return Object.fromEntries(Object.entries(targets).map(([ref, t]) => [ref, t.image]));
  }

  /** Every reference and what it names. */
  async targets(): Promise<References> {
    return (await this.read()).references;
  }

  /**
   * The references file, format 1 read as format 2; ERR_BAD_RECORD (naming `shale fsck
   * --repair`) when it is damaged.
   */
  private async read(): Promise<{ generation: number; references: References }> {
    // The file is only ever replaced by a rename: the same inode, size and times are the same
    // content, parsed once (a server lists thousands of references on every request).
    const stamp = await stat(this.file).then(
      (st) => fileStamp(st),
      () => undefined,
    );
    if (stamp === undefined || stamp !== this.parsed?.stamp) {
      const read = await this.parse();
      this.parsed = stamp === undefined ? undefined : { stamp, ...read };
      return { generation: read.generation, references: { ...read.references } };
    }
    return { generation: this.parsed.generation, references: { ...this.parsed.references } };
  }

  private async parse(): Promise<{ generation: number; references: References }> {
    const parsed = await readRecord(this.file, referencesFileSchema);
    const generation = parsed?.generation ?? 0;
    if (!parsed) return { generation, references: {} };
    if ('format' in parsed) return { generation, references: parsed.references };
    return {
      generation,
      references: await fromFormat1(parsed.references, this.images, this.content),
    };
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
   * reference name names the manifest of the entry and the image that manifest is of; entries whose
   * image is not in the store are left out (as is an index a reference named: the mirror holds the
   * manifest chosen from it). The damaged file is kept in quarantine; the new one counts a
   * generation past the mirror's, so `index.json` is rebuilt next. Undefined when
   * `references.json` is sound.
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
      const found: References = {};
      const lost: RecoveredReferences['lost'] = [];
      for (const { ref, manifest, descriptor } of await mirroredEntries(this.layout)) {
        if (!isFullReference(ref)) {
          lost.push({ ref, manifest, why: 'not a full reference' });
          continue;
        }
        const image = await this.images.imageOfManifest(manifest);
        if (image !== undefined) found[ref] = { image, ...(descriptor && { descriptor }) };
        else
          lost.push({ ref, manifest, why: `names manifest ${manifest}, of no image in the store` });
      }
      const references = sortedReferences(found);
      const kept = await keepInQuarantine(this.layout, this.file);
      const generation = ((await mirroredGeneration(this.layout)) ?? 0) + 1;
      await writeJsonAtomic(this.file, formatReferences(generation, references));
      return { references, lost, kept };
    });
  }

  /** Rebuild `index.json` from the references when it mirrors another generation of them. */
  async reconcile(): Promise<void> {
    if ((await this.read()).generation === (await mirroredGeneration(this.layout))) return;
    await withLock(this.layout, 'references', async () => {
      const { generation, references } = await this.read();
      if (generation !== (await mirroredGeneration(this.layout)))
        await this.writeOciIndex(references, generation);
    });
  }

  /**
   * What `ref` names: the reference itself, or for a digest reference that is not one, a reference
   * of the same repository whose manifest or index has that digest (`name@<digest>` of a pulled
   * image's index or platform manifest resolves locally).
   */
  async target(ref: NamedReference): Promise<ReferenceTarget | undefined> {
    const targets = await this.targets();
    const exact = targets[ref.toString()];
    if (exact || ref.digest === undefined) return exact;
    return Object.entries(targets).find(
      ([other, t]) =>
        (t.descriptor?.digest === ref.digest || t.manifest?.digest === ref.digest) &&
        parseDockerRef(other).name() === ref.name(),
    )?.[1];
  }

  /** The image `ref` reaches. */
  async resolve(ref: NamedReference): Promise<Digest | undefined> {
    return (await this.target(ref))?.image;
  }

  /** The manifest or index a reference names (the image's own manifest when it recorded none). */
  async descriptorOf(target: ReferenceTarget): Promise<Descriptor> {
    return target.descriptor ?? this.images.manifestOf(target.image);
  }

  /**
   * The image manifest a reference reaches, in a form the OCI layout can name: the manifest it
   * names or chose from an index; the image's own manifest for a schema1 manifest (or none).
   */
  async imageManifestOf(target: ReferenceTarget): Promise<Descriptor> {
    const named = target.manifest ?? target.descriptor;
    if (named && isImageManifest(named.mediaType)) return named;
    return this.images.manifestOf(target.image);
  }

  /** References naming `id`, sorted. */
  async referencesOf(id: Digest): Promise<string[]> {
    return Object.entries(await this.all())
      .filter(([, target]) => target === id)
      .map(([ref]) => ref)
      .sort();
  }

  /**
   * Point `ref` (a tag or a digest reference) at image `id` through `named` (the manifest or index
   * it came with; default: the image's own manifest), replacing what it named before; returns
   * that. The image is checked under the lock, so an `rmi` cannot slip in between.
   */
  async set(
    ref: NamedReference,
    id: Digest,
    named?: NamedManifest,
  ): Promise<ReferenceTarget | undefined> {
    const [previous] = await this.setAll([{ ref, id, ...(named && { named }) }]);
    return previous;
  }

  /**
   * `set` for several references in one change of the file (a load of many images rewrites it
   * once, not once per tag); returns what each named before, in order. Each image must exist.
   */
  async setAll(
    entries: readonly { ref: NamedReference; id: Digest; named?: NamedManifest }[],
  ): Promise<(ReferenceTarget | undefined)[]> {
    const missing = (id: Digest) =>
      new ShaleError('ERR_NOT_FOUND', `image ${id} is not in the store`);
    const targets: ReferenceTarget[] = [];
    for (const { ref, id, named } of entries) {
      if (ref.tag === undefined && ref.digest === undefined) {
        throw new ShaleError(
          'ERR_INVALID_ARGUMENT',
          `reference ${ref.toString()} needs a tag or a digest`,
        );
      }
      const record = await this.images.get(id);
      if (!record) throw missing(id);
      // Before the lock, under a lease: writing a manifest blob for an image that had none.
      const descriptor =
        named?.descriptor ??
        record.manifest ??
        (await withLease(this.layout, () => this.images.manifestOf(id)));
      targets.push({ image: id, descriptor, ...(named?.manifest && { manifest: named.manifest }) });
    }
    const previous: (ReferenceTarget | undefined)[] = [];
    if (entries.length === 0) return previous;
    await this.update(async (refs) => {
      for (const id of new Set(entries.map((e) => e.id)))
        if (!(await this.images.get(id))) throw missing(id);
      for (const [i, { ref }] of entries.entries()) {
        previous.push(refs[ref.toString()]);
        refs[ref.toString()] = targets[i]!;
      }
    });
    return previous;
  }

  /**
   * Tag `id` as `docker tag` does: set the reference (to what `named` gives, e.g. the manifest
   * the source reference names) and record the time on the image.
   */
  async tag(ref: NamedReference, id: Digest, named?: NamedManifest): Promise<void> {
    await this.set(ref, id, named);
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
    changes: readonly { ref: string; previous: ReferenceTarget | undefined; image: Digest }[],
  ): Promise<void> {
    if (changes.length === 0) return;
    await this.update((refs) => {
      for (const { ref, previous, image } of changes) {
        if (refs[ref]?.image !== image) continue;
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
      if (Object.values(references).some((t) => t.image === id)) return false;
      await remove();
      return true;
    });
  }

  /** Change the references under the lock; a format-1 file is written as format 2 from then on. */
  private async update(change: (refs: References) => void | Promise<void>): Promise<void> {
    await withLock(this.layout, 'references', async () => {
      const { generation, references: refs } = await this.read();
      await change(refs);
      const next = generation + 1;
      await writeJsonAtomic(this.file, formatReferences(next, refs));
      await this.writeOciIndex(refs, next);
    });
  }

  private async writeOciIndex(refs: References, generation: number): Promise<void> {
    const manifests: { ref: string; manifest: Descriptor }[] = [];
    for (const [ref, target] of Object.entries(sortedReferences(refs))) {
      // A reference to an image that is gone (damage `shale fsck` reports) has no entry.
      const manifest = await this.imageManifestOf(target).catch((err: unknown) => {
        if (isShaleError(err, 'ERR_NOT_FOUND')) return undefined;
        throw err;
      });
      if (manifest) manifests.push({ ref, manifest });
    }
    await writeMirror(this.layout, manifests, generation);
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
