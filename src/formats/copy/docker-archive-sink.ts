/**
 * A docker-archive as the sink of a copy (`docker-archive:PATH[:TAG]`): what `docker load`
 * reads — `manifest.json`, the config, every layer as its uncompressed tar (a compressed one is
 * spooled to a temporary file beside the archive to learn its size), checked against the DiffIDs
 * the config lists — written through archive-output.ts. The config is kept byte for byte (so the
 * image ID is the source's) while the manifest necessarily changes: `writtenManifest` gives the
 * one a docker-archive source then presents.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { autoDecompress } from '../../archive/compression/index.ts';
import { digestOf, parseDigest, type Digest } from '../../core/digest.ts';
import { ShaleError } from '../../core/errors.ts';
import { parseImageConfig } from '../../core/image-config.ts';
import { parseImageManifest } from '../../core/manifest.ts';
import { isConfig, isIndex } from '../../core/media-types.ts';
import { familiarString, type NamedReference } from '../../core/reference.ts';
import {
  encodeDockerManifest,
  MANIFEST_JSON,
  type DockerManifestItem,
} from '../docker-archive/manifest-json.ts';
import type { ArchiveOutput } from './archive-output.ts';
import {
  dockerArchiveManifest,
  dockerArchiveName,
  type ArchiveLayer,
} from './docker-archive-source.ts';
import { sha256Of, type BlobBytes, type Descriptor, type ImageSink } from '../../registry/index.ts';

const blobName = (digest: Digest) => `blobs/sha256/${parseDigest(digest).hex}`;

/** Hashes (sha256) and counts the bytes passing through. */
class Measure extends Transform {
  readonly hash = createHash('sha256');
  size = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.hash.update(chunk);
    this.size += chunk.length;
    this.push(chunk);
    done();
  }
}

/** The image a docker-archive sink wrote: its manifest as a docker-archive source presents it. */
export interface WrittenManifest {
  digest: Digest;
  size: number;
  /** The config's digest (the image ID), the source's. */
  config: Digest;
}

export class DockerArchiveSink implements ImageSink {
  readonly name: string;
  readonly holdsOneImage = true;
  /** The config's bytes, once written (small: the manifest that names it is checked against it). */
  readonly #configs = new Map<Digest, Buffer>();
  /** Each layer blob written, by its digest: the uncompressed tar it was written as. */
  readonly #layers = new Map<Digest, ArchiveLayer>();
  /** Blobs whose writing has begun (a copy asks for each once). */
  readonly #pending = new Set<Digest>();
  #manifest: WrittenManifest | undefined;

  constructor(
    private readonly output: ArchiveOutput,
    private readonly reference?: NamedReference,
  ) {
    this.name = dockerArchiveName(output.file, reference && familiarString(reference));
  }

  /** The manifest the written archive presents (as skopeo reads it), once written. */
  get writtenManifest(): WrittenManifest | undefined {
    return this.#manifest;
  }

  hasBlob(descriptor: Descriptor): Promise<boolean> {
    return Promise.resolve(this.#pending.has(descriptor.digest));
  }

  async writeBlob(descriptor: Descriptor, bytes: BlobBytes): Promise<void> {
    const open = () => bytes.open();
    this.#pending.add(descriptor.digest);
    if (isConfig(descriptor.mediaType)) return this.#writeConfig(descriptor, open());
    const { compression, stream } = await autoDecompress(open());
    if (compression === 'none') {
      // The verified stream: these bytes hash to the digest, which is then the DiffID.
      const layer = { diffId: descriptor.digest, size: descriptor.size };
      await this.output.append((tar) => tar.file(blobName(layer.diffId), stream, layer));
      this.#layers.set(descriptor.digest, layer);
      return;
    }
    const spooled = `${this.output.file}.${randomBytes(6).toString('hex')}.layer.tmp`;
    try {
      const measure = new Measure();
      await pipeline(stream, measure, createWriteStream(spooled, { flags: 'wx', mode: 0o600 }));
      const layer = { diffId: digestOf('sha256', measure.hash.digest('hex')), size: measure.size };
      await this.output.append((tar) =>
        tar.file(blobName(layer.diffId), createReadStream(spooled), layer),
      );
      this.#layers.set(descriptor.digest, layer);
    } finally {
      await rm(spooled, { force: true });
    }
  }

  async #writeConfig(descriptor: Descriptor, stream: Readable): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
    const bytes = Buffer.concat(chunks);
    await this.output.append((tar) =>
      tar.file(blobName(descriptor.digest), bytes, { size: bytes.length }),
    );
    this.#configs.set(descriptor.digest, bytes);
  }

  async putManifest(descriptor: Descriptor, bytes: Buffer, top: boolean): Promise<void> {
    if (!top || isIndex(descriptor.mediaType)) {
      throw new ShaleError(
        'ERR_INVALID_ARGUMENT',
        `${this.name} holds one image, not an index: choose one with --platform`,
      );
    }
    const manifest = parseImageManifest(bytes);
    const config = this.#configs.get(manifest.config.digest);
    const layers = manifest.layers.map((l) => this.#layers.get(l.digest));
    if (config === undefined || layers.some((l) => l === undefined)) {
      throw new ShaleError(
        'ERR_NOT_FOUND',
        `${this.name}: a blob of manifest ${descriptor.digest} was not written`,
      );
    }
    const written = layers as ArchiveLayer[];
    const diffIds = parseImageConfig(config).config.rootfs.diff_ids;
    const wrong = written.findIndex((l, i) => l.diffId !== diffIds[i]);
    if (wrong >= 0 || diffIds.length !== written.length) {
      throw new ShaleError(
        'ERR_DIGEST_MISMATCH',
        `${this.name}: the layers decompress to DiffIDs ${written.map((l) => l.diffId).join(', ')}, the config lists ${diffIds.join(', ')}`,
      );
    }
    const item: DockerManifestItem = {
      Config: blobName(manifest.config.digest),
      RepoTags: this.reference ? [familiarString(this.reference)] : null,
      Layers: written.map((l) => blobName(l.diffId)),
    };
    const json = encodeDockerManifest([item]);
    await this.output.append((tar) => tar.file(MANIFEST_JSON, json, { size: json.length }));
    await this.output.commit();
    const presented = dockerArchiveManifest(config, written);
    this.#manifest = {
      digest: sha256Of(presented),
      size: presented.length,
      config: manifest.config.digest,
    };
  }
}
