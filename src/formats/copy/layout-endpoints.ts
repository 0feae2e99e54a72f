/**
 * An OCI image layout directory as either end of a copy, named as skopeo names it: `oci:DIR:REF`
 * is the `index.json` entry whose `org.opencontainers.image.ref.name` is REF, `oci:DIR` the only
 * entry. As a sink, each blob is written to a temporary file in the layout, synced, and renamed
 * into `blobs/<alg>/<hex>` only when its stream ended verified; the index entry is written last,
 * by an atomic replace of `index.json`, once every blob it reaches is in place. Referrers are
 * read from and written to `index.json` entries as oras keeps them (referrers-layout.ts).
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { openFileRange, openReadStream } from '../../archive/open-read-stream.ts';
import { parseDigest, type Digest } from '../../core/digest.ts';
import { ShaleError } from '../../core/errors.ts';
import { parseImageIndex, type ManifestDescriptor } from '../../core/manifest.ts';
import { Annotations, MediaTypes } from '../../core/media-types.ts';
import { acquireLock, LOCK_WAIT_MS } from '../../store/index.ts';
import { OCI_LAYOUT_MARKER } from '../save/sink.ts';
import { layoutReferrerEntry, LayoutReferrers } from './referrers-layout.ts';
import {
  MAX_MANIFEST_BYTES,
  type BlobBytes,
  type Descriptor,
  type ImageSink,
  type ImageSource,
  type ReferrerDescriptor,
  type ResolvedManifest,
} from '../../registry/index.ts';

function layoutName(dir: string, ref: string | undefined): string {
  return ref === undefined ? `oci:${dir}` : `oci:${dir}:${ref}`;
}

function blobPath(dir: string, digest: Digest): string {
  const { algorithm, hex } = parseDigest(digest);
  return path.join(dir, 'blobs', algorithm, hex);
}

function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === 'ENOENT';
}

/** The entries of the layout's `index.json`; none when `missingIsEmpty` and it has none yet. */
async function readEntries(dir: string, missingIsEmpty: boolean): Promise<ManifestDescriptor[]> {
  const file = path.join(dir, 'index.json');
  try {
    if ((await stat(file)).size > MAX_MANIFEST_BYTES) {
      throw new ShaleError('ERR_LIMIT', `${file} is larger than ${MAX_MANIFEST_BYTES} bytes`);
    }
    return parseImageIndex(await readFile(file), file).manifests;
  } catch (err) {
    if (!isMissing(err)) throw err;
    if (missingIsEmpty) return [];
    throw new ShaleError('ERR_NOT_FOUND', `${dir} is not an OCI image layout (no index.json)`);
  }
}

const refNameOf = (entry: ManifestDescriptor) => entry.annotations?.[Annotations.refName];

/**
 * The entry of a layout's index named `ref`, or its only entry when `ref` is undefined; `name`
 * is how messages call the layout, `refForm` how to name one image of it (`oci:DIR:REF`).
 */
export function selectLayoutEntry(
  entries: readonly ManifestDescriptor[],
  ref: string | undefined,
  name: string,
  refForm: string,
): ManifestDescriptor {
  const matches = ref === undefined ? entries : entries.filter((e) => refNameOf(e) === ref);
  if (matches.length !== 1) {
    const names = entries.map((e) => refNameOf(e) ?? e.digest).join(', ') || 'none';
    throw new ShaleError(
      matches.length === 0 ? 'ERR_NOT_FOUND' : 'ERR_INVALID_ARGUMENT',
      ref === undefined
        ? `${name} lists ${entries.length} images; name one as ${refForm} (names: ${names})`
        : `${name}: the layout ${matches.length === 0 ? 'has no' : 'has several'} images named ${ref} (names: ${names})`,
    );
  }
  return matches[0]!;
}

export class LayoutSource implements ImageSource {
  readonly name: string;
  readonly #referrers = new LayoutReferrers(
    () => readEntries(this.dir, false),
    (entry) => this.readManifest(entry),
  );

  constructor(
    private readonly dir: string,
    private readonly ref?: string,
  ) {
    this.name = layoutName(dir, ref);
  }

  async resolve(): Promise<ResolvedManifest> {
    const entries = await readEntries(this.dir, false);
    const entry = selectLayoutEntry(entries, this.ref, this.name, `oci:${this.dir}:REF`);
    const bytes = await this.readManifest(entry);
    return { mediaType: entry.mediaType, bytes, digest: entry.digest };
  }

  async readManifest(descriptor: Descriptor): Promise<Buffer> {
    if (descriptor.size > MAX_MANIFEST_BYTES) {
      throw new ShaleError(
        'ERR_LIMIT',
        `${this.name} lists manifest ${descriptor.digest} of ${descriptor.size} bytes; at most ${MAX_MANIFEST_BYTES} are read`,
      );
    }
    const file = blobPath(this.dir, descriptor.digest);
    const size = await stat(file).then(
      (s) => s.size,
      (err: unknown) => {
        if (isMissing(err)) throw this.#missing(descriptor.digest);
        throw err;
      },
    );
    if (size !== descriptor.size) {
      throw new ShaleError(
        'ERR_SIZE_MISMATCH',
        `${this.name}: manifest ${descriptor.digest} is ${size} bytes, its descriptor says ${descriptor.size}`,
      );
    }
    return readFile(file);
  }

  async openBlob(descriptor: Descriptor): Promise<Readable> {
    return openReadStream(blobPath(this.dir, descriptor.digest)).catch((err: unknown) => {
      if (isMissing(err)) throw this.#missing(descriptor.digest);
      throw err;
    });
  }

  /** Bytes `start`…`end - 1` of the blob's file (a resumable chunked upload reads these). */
  openBlobRange(descriptor: Descriptor, start: number, end: number): Readable {
    return openFileRange(blobPath(this.dir, descriptor.digest), start, end);
  }

  listReferrers(subject: Digest): Promise<ReferrerDescriptor[]> {
    return this.#referrers.of(subject);
  }

  #missing(digest: Digest): ShaleError {
    return new ShaleError('ERR_NOT_FOUND', `${this.name}: the layout has no blob ${digest}`);
  }
}

/** What a copy keeps in a layout while it writes: its temporary files and its lock. */
const OWN_PREFIX = '.shale-copy-';
const LAYOUT_LOCK = `${OWN_PREFIX}lock`;

/**
 * Run `change` holding the layout's lock (the store's lock file, in the layout): copies into one
 * layout, from any process, make it a layout and rewrite `index.json` one at a time, so none
 * loses another's entry. A lock left by a killed copy is taken over.
 */
async function withLayoutLock<T>(dir: string, change: () => Promise<T>): Promise<T> {
  const lock = await acquireLock(path.join(dir, LAYOUT_LOCK), { waitMs: LOCK_WAIT_MS });
  try {
    return await change();
  } finally {
    await lock.release();
  }
}

/** Makes `dir` a layout unless it is one: created, or empty, given the `oci-layout` marker. */
async function prepareLayout(dir: string): Promise<void> {
  const marker = path.join(dir, 'oci-layout');
  const isLayout = () =>
    readFile(marker).then(
      () => true,
      (err: unknown) => {
        if (isMissing(err)) return false;
        throw err;
      },
    );
  if (await isLayout()) return;
  await mkdir(dir, { recursive: true });
  await withLayoutLock(dir, async () => {
    if (await isLayout()) return;
    const others = (await readdir(dir)).filter((name) => !name.startsWith(OWN_PREFIX));
    if (others.length > 0) {
      throw new ShaleError(
        'ERR_INVALID_ARGUMENT',
        `${dir} is neither an OCI image layout nor empty; copy into a new or empty directory, or a layout`,
      );
    }
    await writeFile(marker, OCI_LAYOUT_MARKER, { flag: 'wx', mode: 0o644 });
  });
}

export class LayoutSink implements ImageSink {
  readonly name: string;
  readonly rewritesBlobs = true;
  readonly holdsNestedIndexes = true;
  /** The layout made ready on the first write (a copy that fails before writing makes no DIR). */
  #prepared: Promise<void> | undefined;

  constructor(
    private readonly dir: string,
    private readonly ref?: string,
  ) {
    this.name = layoutName(dir, ref);
  }

  async hasBlob(descriptor: Descriptor): Promise<boolean> {
    const found = await stat(blobPath(this.dir, descriptor.digest)).catch((err: unknown) => {
      if (isMissing(err)) return undefined;
      throw err;
    });
    return found?.isFile() === true && found.size === descriptor.size;
  }

  writeBlob(descriptor: Descriptor, bytes: BlobBytes): Promise<void> {
    return this.#place(blobPath(this.dir, descriptor.digest), () => bytes.open());
  }

  /** Write a temporary file in the layout from `openBytes`, sync it, rename it to `target`. */
  async #place(target: string, openBytes: () => Readable): Promise<void> {
    await (this.#prepared ??= prepareLayout(this.dir));
    const temp = path.join(this.dir, `${OWN_PREFIX}${randomUUID()}`);
    try {
      // `flush`: the file is synced before it is closed, so the rename publishes whole bytes.
      await pipeline(
        openBytes(),
        createWriteStream(temp, { flags: 'wx', mode: 0o644, flush: true }),
      );
      await mkdir(path.dirname(target), { recursive: true });
      await rename(temp, target);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
  }

  async putManifest(descriptor: Descriptor, bytes: Buffer, top: boolean): Promise<void> {
    if (!(await this.hasBlob(descriptor))) {
      await this.#place(blobPath(this.dir, descriptor.digest), () => Readable.from([bytes]));
    }
    if (top) await this.#name(descriptor);
  }

  /** The artifact manifest, and an unnamed index entry for it unless the layout lists one. */
  async putReferrer(descriptor: ReferrerDescriptor, bytes: Buffer): Promise<void> {
    await this.putManifest(descriptor, bytes, false);
    await this.#changeIndex((entries) =>
      entries.some((e) => e.digest === descriptor.digest && refNameOf(e) === undefined)
        ? undefined
        : [...entries, layoutReferrerEntry(descriptor)],
    );
  }

  /** The index entry for the image: replaces the one of the same name (or the same unnamed digest). */
  async #name(descriptor: Descriptor): Promise<void> {
    const { mediaType, digest, size } = descriptor;
    const { ref } = this;
    const entry = {
      mediaType,
      digest,
      size,
      ...(ref !== undefined && { annotations: { [Annotations.refName]: ref } }),
    };
    await this.#changeIndex((entries) => [
      ...entries.filter((e) =>
        ref === undefined
          ? refNameOf(e) !== undefined || e.digest !== digest
          : refNameOf(e) !== ref,
      ),
      entry,
    ]);
  }

  /**
   * Replace `index.json`, atomically, with what `change` makes of its entries (undefined: leave
   * it), under the layout's lock.
   */
  async #changeIndex(
    change: (entries: ManifestDescriptor[]) => ManifestDescriptor[] | undefined,
  ): Promise<void> {
    await (this.#prepared ??= prepareLayout(this.dir));
    await withLayoutLock(this.dir, async () => {
      const manifests = change(await readEntries(this.dir, true));
      if (manifests === undefined) return;
      const index = { schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests };
      const bytes = Buffer.from(JSON.stringify(index));
      await this.#place(path.join(this.dir, 'index.json'), () => Readable.from([bytes]));
    });
  }
}
