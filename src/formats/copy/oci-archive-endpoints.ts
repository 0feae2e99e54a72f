/**
 * An oci-archive — a tar of an OCI image layout, as skopeo and `shale save --format oci` write
 * it — as either end of a copy, named as skopeo names it: `oci-archive:PATH[:REF]`, REF being
 * the `index.json` entry's `org.opencontainers.image.ref.name`. As a source it is read in place
 * (archive-members.ts: no unpacking); as a sink a new archive is written (archive-output.ts):
 * `oci-layout`, the blobs byte for byte as they arrive, `index.json` with the one image last.
 */
import type { Readable } from 'node:stream';
import { parseDigest } from '../../core/digest.ts';
import type { EntryBody } from '../../archive/tar/index.ts';
import { ShaleError } from '../../core/errors.ts';
import { parseImageIndex } from '../../core/manifest.ts';
import { Annotations, MediaTypes } from '../../core/media-types.ts';
import { OCI_LAYOUT_MARKER } from '../save/sink.ts';
import { ArchiveMembers } from './archive-members.ts';
import type { ArchiveOutput } from './archive-output.ts';
import { selectLayoutEntry } from './layout-endpoints.ts';
import {
  MAX_MANIFEST_BYTES,
  type BlobBytes,
  type Descriptor,
  type ImageSink,
  type ImageSource,
  type ResolvedManifest,
} from '../../registry/index.ts';

const INDEX_JSON = 'index.json';

function archiveName(file: string, ref: string | undefined): string {
  return ref === undefined ? `oci-archive:${file}` : `oci-archive:${file}:${ref}`;
}

function blobName(descriptor: Descriptor): string {
  const { algorithm, hex } = parseDigest(descriptor.digest);
  return `blobs/${algorithm}/${hex}`;
}

export class OciArchiveSource implements ImageSource {
  readonly name: string;
  #members: Promise<ArchiveMembers> | undefined;
  /** The members, once indexed (resolve indexes them). */
  #indexed: ArchiveMembers | undefined;

  constructor(
    private readonly file: string,
    private readonly ref?: string,
  ) {
    this.name = archiveName(file, ref);
  }

  async resolve(signal?: AbortSignal): Promise<ResolvedManifest> {
    const members = await this.#index(signal);
    if (!members.has(INDEX_JSON)) {
      throw new ShaleError(
        'ERR_INVALID_ARGUMENT',
        `${this.file} is not an oci-archive: it has no ${INDEX_JSON}`,
      );
    }
    const index = await members.read(INDEX_JSON, 'the layout', MAX_MANIFEST_BYTES);
    const { manifests } = parseImageIndex(index, `${this.file}: ${INDEX_JSON}`);
    const entry = selectLayoutEntry(manifests, this.ref, this.name, `oci-archive:${this.file}:REF`);
    const bytes = await this.readManifest(entry, signal);
    return { mediaType: entry.mediaType, bytes, digest: entry.digest };
  }

  async readManifest(descriptor: Descriptor, signal?: AbortSignal): Promise<Buffer> {
    const members = await this.#index(signal);
    const member = members.find(blobName(descriptor), `manifest ${descriptor.digest}`);
    if (member.size !== descriptor.size) {
      throw new ShaleError(
        'ERR_SIZE_MISMATCH',
        `${this.name}: manifest ${descriptor.digest} is ${member.size} bytes, its descriptor says ${descriptor.size}`,
      );
    }
    return members.read(blobName(descriptor), `manifest ${descriptor.digest}`, MAX_MANIFEST_BYTES);
  }

  async openBlob(descriptor: Descriptor, signal?: AbortSignal): Promise<Readable> {
    const members = await this.#index(signal);
    return members.open(members.find(blobName(descriptor), `blob ${descriptor.digest}`));
  }

  /**
   * In a plain (uncompressed) archive, a blob is read in ranges where it lies, when it is there
   * at its descriptor's size (one that is not goes whole, to fail its check before it is sent).
   */
  readsRangesOf(descriptor: Descriptor): boolean {
    const members = this.#indexed;
    if (members?.seekable !== true || !members.has(blobName(descriptor))) return false;
    return members.find(blobName(descriptor), 'the copy').size === descriptor.size;
  }

  openBlobRange(descriptor: Descriptor, start: number, end: number): Readable {
    const members = this.#indexed!;
    return members.openRange(
      members.find(blobName(descriptor), `blob ${descriptor.digest}`),
      start,
      end,
    );
  }

  #index(signal?: AbortSignal): Promise<ArchiveMembers> {
    return (this.#members ??= ArchiveMembers.index(this.file, signal).then(
      (members) => (this.#indexed = members),
    ));
  }
}

export class OciArchiveSink implements ImageSink {
  readonly name: string;
  readonly holdsNestedIndexes = true;
  readonly #written = new Set<string>();
  /** The `blobs/<algorithm>` directories in the archive so far. */
  readonly #directories = new Set<string>();

  constructor(
    private readonly output: ArchiveOutput,
    private readonly ref?: string,
  ) {
    this.name = archiveName(output.file, ref);
  }

  hasBlob(descriptor: Descriptor): Promise<boolean> {
    return Promise.resolve(this.#written.has(descriptor.digest));
  }

  writeBlob(descriptor: Descriptor, bytes: BlobBytes): Promise<void> {
    return this.#add(descriptor, () => bytes.open());
  }

  /** Append the blob's entry, after the layout's marker and directories when it is the first. */
  #add(descriptor: Descriptor, body: () => EntryBody): Promise<void> {
    this.#written.add(descriptor.digest);
    const { algorithm } = parseDigest(descriptor.digest);
    return this.output.append(async (tar) => {
      if (this.#directories.size === 0) {
        await tar.file('oci-layout', OCI_LAYOUT_MARKER, { size: OCI_LAYOUT_MARKER.length });
        await tar.directory('blobs');
      }
      if (!this.#directories.has(algorithm)) await tar.directory(`blobs/${algorithm}`);
      this.#directories.add(algorithm);
      await tar.file(blobName(descriptor), body(), { size: descriptor.size });
    });
  }

  async putManifest(descriptor: Descriptor, bytes: Buffer, top: boolean): Promise<void> {
    if (!this.#written.has(descriptor.digest)) await this.#add(descriptor, () => bytes);
    if (!top) return;
    const { mediaType, digest, size } = descriptor;
    const entry = {
      mediaType,
      digest,
      size,
      ...(this.ref !== undefined && { annotations: { [Annotations.refName]: this.ref } }),
    };
    const index = Buffer.from(
      JSON.stringify({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: [entry] }),
    );
    await this.output.append((tar) => tar.file(INDEX_JSON, index, { size: index.length }));
    await this.output.commit();
  }
}
