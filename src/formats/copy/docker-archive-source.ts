/**
 * A docker-archive — what `docker save` writes: `manifest.json` naming each image's config and
 * layer tars — as the source of a copy, named as skopeo names it: `docker-archive:PATH[:REF]`
 * (REF a tag of `RepoTags`, or `@N` the Nth image from 0), read in place (archive-members.ts).
 * An archive holds no registry manifest, so it presents the one skopeo's docker-archive source
 * generates (same bytes, so the same digest): Docker schema2, the config by its digest, each
 * layer by its DiffID and uncompressed size, typed `…rootfs.diff.tar.gzip` as skopeo types it
 * (a compressed layer tar is decompressed as it is read).
 */
import type { Readable } from 'node:stream';
import { autoDecompress } from '../../archive/compression/index.ts';
import type { Digest } from '../../core/digest.ts';
import { ShaleError } from '../../core/errors.ts';
import { parseImageConfig } from '../../core/image-config.ts';
import { MediaTypes } from '../../core/media-types.ts';
import { parseDockerRef } from '../../core/reference.ts';
import {
  MANIFEST_JSON,
  parseDockerManifest,
  type DockerManifestItem,
} from '../docker-archive/manifest-json.ts';
import { ArchiveMembers, type ArchiveMember } from './archive-members.ts';
import {
  MAX_MANIFEST_BYTES,
  sha256Of,
  type Descriptor,
  type ImageSource,
  type ResolvedManifest,
} from '../../registry/index.ts';

/** A layer as a docker-archive holds it: its uncompressed tar. */
export interface ArchiveLayer {
  diffId: Digest;
  size: number;
}

/**
 * The Docker schema2 manifest skopeo's docker-archive source generates for an image: Go's
 * encoding of its descriptors (mediaType, size, digest), layers typed `…tar.gzip` as skopeo does
 * though they are plain tars (Docker pulls sniff the compression).
 */
export function dockerArchiveManifest(config: Buffer, layers: readonly ArchiveLayer[]): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaTypes.dockerManifest,
      config: { mediaType: MediaTypes.dockerConfig, size: config.length, digest: sha256Of(config) },
      layers: layers.map(({ diffId, size }) => ({
        mediaType: MediaTypes.dockerLayerGzip,
        size,
        digest: diffId,
      })),
    }),
  );
}

export function dockerArchiveName(file: string, ref: string | undefined): string {
  return ref === undefined ? `docker-archive:${file}` : `docker-archive:${file}:${ref}`;
}

/** Whether a layer member is compressed, and its uncompressed size (counted by decompressing it). */
async function layerMember(
  stream: Readable,
  stored: number,
): Promise<{ compressed: boolean; size: number }> {
  const { compression, stream: plain } = await autoDecompress(stream);
  if (compression === 'none') {
    plain.destroy();
    return { compressed: false, size: stored };
  }
  let size = 0;
  for await (const chunk of plain as AsyncIterable<Buffer>) size += chunk.length;
  return { compressed: true, size };
}

export class DockerArchiveSource implements ImageSource {
  readonly name: string;
  #members: ArchiveMembers | undefined;
  /** Each blob of the presented manifest: the member holding it, and whether it is compressed. */
  readonly #blobs = new Map<Digest, { member: ArchiveMember; compressed: boolean }>();

  constructor(
    private readonly file: string,
    private readonly ref?: string,
  ) {
    this.name = dockerArchiveName(file, ref);
  }

  async resolve(signal?: AbortSignal): Promise<ResolvedManifest> {
    const members = (this.#members ??= await ArchiveMembers.index(this.file, signal));
    if (!members.has(MANIFEST_JSON)) {
      throw new ShaleError(
        'ERR_INVALID_ARGUMENT',
        `${this.file} is not a docker-archive: it has no ${MANIFEST_JSON}`,
      );
    }
    const item = this.#select(
      parseDockerManifest(await members.read(MANIFEST_JSON, 'the archive', MAX_MANIFEST_BYTES)),
    );
    const config = await members.read(item.Config, `${MANIFEST_JSON} (Config)`, MAX_MANIFEST_BYTES);
    const diffIds = parseImageConfig(config).config.rootfs.diff_ids;
    if (diffIds.length !== item.Layers.length) {
      throw new ShaleError(
        'ERR_INVALID_ARGUMENT',
        `${this.name}: ${MANIFEST_JSON} lists ${item.Layers.length} layers, the config ${diffIds.length}`,
      );
    }
    this.#blobs.set(sha256Of(config), {
      member: members.find(item.Config, 'Config'),
      compressed: false,
    });
    const layers: ArchiveLayer[] = [];
    for (const [i, name] of item.Layers.entries()) {
      const member = members.find(name, `${MANIFEST_JSON} (Layers[${i}])`);
      const { compressed, size } = await layerMember(await members.open(member), member.size);
      layers.push({ diffId: diffIds[i]!, size });
      this.#blobs.set(diffIds[i]!, { member, compressed });
    }
    return { mediaType: MediaTypes.dockerManifest, bytes: dockerArchiveManifest(config, layers) };
  }

  readManifest(descriptor: Descriptor): Promise<Buffer> {
    return Promise.reject(
      new ShaleError('ERR_NOT_FOUND', `${this.name} holds no manifest ${descriptor.digest}`),
    );
  }

  async openBlob(descriptor: Descriptor): Promise<Readable> {
    const { members, blob } = this.#blob(descriptor);
    const stream = await members.open(blob.member);
    return blob.compressed ? (await autoDecompress(stream)).stream : stream;
  }

  /** A blob stored as it is sent, in a plain (uncompressed) archive, is read in ranges where it lies. */
  readsRangesOf(descriptor: Descriptor): boolean {
    const { members, blob } = this.#blob(descriptor);
    return members.seekable && !blob.compressed;
  }

  openBlobRange(descriptor: Descriptor, start: number, end: number): Readable {
    const { members, blob } = this.#blob(descriptor);
    return members.openRange(blob.member, start, end);
  }

  #blob(descriptor: Descriptor) {
    const blob = this.#blobs.get(descriptor.digest);
    if (blob === undefined || this.#members === undefined) {
      throw new ShaleError('ERR_NOT_FOUND', `${this.name} has no blob ${descriptor.digest}`);
    }
    return { members: this.#members, blob };
  }

  /** The item REF names: a tag of its RepoTags, `@N`, or the only one. */
  #select(items: DockerManifestItem[]): DockerManifestItem {
    const { ref } = this;
    const tags = items.flatMap((item) => item.RepoTags ?? []);
    if (ref === undefined) {
      if (items.length === 1) return items[0]!;
      throw new ShaleError(
        'ERR_INVALID_ARGUMENT',
        `${this.name} holds ${items.length} images; name one as docker-archive:${this.file}:TAG or :@N (tags: ${tags.join(', ') || 'none'})`,
      );
    }
    const index = /^@(\d+)$/.exec(ref);
    if (index) {
      const item = items[Number(index[1])];
      if (item) return item;
      throw new ShaleError(
        'ERR_NOT_FOUND',
        `${this.name}: the archive holds ${items.length} images (@0…@${items.length - 1})`,
      );
    }
    const wanted = parseDockerRef(ref).toString();
    const matches = items.filter((item) =>
      (item.RepoTags ?? []).some((tag) => parseDockerRef(tag).toString() === wanted),
    );
    if (matches.length === 1) return matches[0]!;
    throw new ShaleError(
      'ERR_NOT_FOUND',
      `${this.name}: the archive ${matches.length === 0 ? 'has no' : 'has several'} images tagged ${ref} (tags: ${tags.join(', ') || 'none'})`,
    );
  }
}
