/**
 * The store as the destination of a copy (`store:REF`). Blobs are downloaded as pull downloads
 * them (resumable partials, continued by a later copy when the source reads ranges), manifests
 * stored byte for byte, and the top manifest made an image as a pull makes one: of an index, the
 * image for this machine's platform, the index and its other manifests kept whole as content
 * (store/index-content.ts), so that a push sends the index itself. The manifest and config are
 * checked as a pull checks them (registry/pull/limits.ts), the layers registered with the
 * config's DiffIDs claimed (checked by the first read that decompresses them, the policy of pull
 * and load), and the image committed with REF and `name@digest` naming what was copied. All of
 * it goes through one ImageWrite: a failed copy leaves the store as it was.
 */
import { countBytes } from '../../archive/count-bytes.ts';
import type { Digest } from '../../core/digest.ts';
import { isShaleError, ShaleError } from '../../core/errors.ts';
import { parseImageConfig } from '../../core/image-config.ts';
import { hostPlatform, parseImageIndex, parseImageManifest } from '../../core/manifest.ts';
import { isIndex } from '../../core/media-types.ts';
import {
  parseDockerRef,
  trimNamed,
  withDigest,
  type NamedReference,
} from '../../core/reference.ts';
import {
  checkConfig,
  checkManifest,
  isDamage,
  MAX_CONFIG_BYTES,
  pickPlatform,
  transferImage,
  type BlobBytes,
  type Descriptor,
  type ImageSink,
  type ImageSource,
  type TransferOptions,
  type TransferResult,
} from '../../registry/index.ts';
import {
  writeImages,
  type ImageWrite,
  type NamedManifest,
  type PartialBlob,
  type Store,
} from '../../store/index.ts';
import { registerLayers } from '../load/register-layers.ts';

export class StoreSink implements ImageSink {
  readonly name: string;
  readonly rewritesBlobs = true;
  /** The image the copy made, once the top manifest is put. */
  image: Digest | undefined;

  constructor(
    private readonly write: ImageWrite,
    private readonly reference: NamedReference,
  ) {
    this.name = `store:${reference.toString()}`;
  }

  async hasBlob(descriptor: Descriptor): Promise<boolean> {
    // Touched first, so that a prune running meanwhile leaves a blob this copy relies on.
    await this.write.noteBlob(descriptor.digest, true);
    return this.write.store.content.has(descriptor.digest);
  }

  /**
   * A blob written as pull downloads one: into a partial that outlives a failed or killed copy,
   * continued where it stopped when the source reads ranges (else, or when the source will not
   * serve the range, started over), verified whole, then moved into the store. Bytes that fail
   * their check are not kept for another attempt.
   */
  async writeBlob(
    descriptor: Descriptor,
    bytes: BlobBytes,
    signal?: AbortSignal,
  ): Promise<void | 'existed'> {
    const { digest, size } = descriptor;
    const partial = await this.write.store.content.openPartial({ digest, size }, { signal });
    let stored;
    try {
      // Another process may have stored the blob while this one waited for its partial.
      if (partial.offset === 0 && (await this.hasBlob(descriptor))) {
        await partial.discard();
        return 'existed';
      }
      if (!partial.complete) await this.#fill(partial, descriptor, bytes);
      stored = await partial.commit();
    } catch (err) {
      if (isDamage(err)) await partial.discard();
      throw err;
    } finally {
      await partial.close();
    }
    await this.write.noteBlob(digest, stored.existed);
  }

  /** The rest of the blob into `partial`: from its offset by a range, else from the start. */
  async #fill(partial: PartialBlob, descriptor: Descriptor, bytes: BlobBytes): Promise<void> {
    const { offset } = partial;
    if (offset > 0 && bytes.openRange) {
      let current = offset;
      const range = bytes.openRange(offset, descriptor.size);
      const rest = countBytes(range, (n) => bytes.onProgress((current += n)));
      try {
        return await partial.append(rest);
      } catch (err) {
        // A range the source will not serve (a registry ignoring Range): the whole blob, once.
        if (!isShaleError(err, 'ERR_UNSUPPORTED') || partial.offset !== offset) throw err;
      }
    }
    if (partial.offset > 0) await partial.restart();
    await partial.append(bytes.open());
  }

  async putManifest(descriptor: Descriptor, bytes: Buffer, top: boolean, signal?: AbortSignal) {
    const { digest, size } = descriptor;
    const stored = await this.write.store.content.put(bytes, { digest, size });
    await this.write.noteBlob(digest, stored.existed);
    if (top) this.image = await this.#commit(descriptor, bytes, signal);
  }

  /** Make the image `top` (a manifest, or an index) names, with the references. */
  async #commit(top: Descriptor, bytes: Buffer, signal?: AbortSignal): Promise<Digest> {
    const { write, reference } = this;
    if (reference.digest !== undefined && reference.digest !== top.digest) {
      throw new ShaleError(
        'ERR_INVALID_ARGUMENT',
        `${this.name} names ${reference.digest}, but the copy's ${isIndex(top.mediaType) ? 'index' : 'manifest'} is ${top.digest}`,
      );
    }
    const named = isIndex(top.mediaType)
      ? this.#chosen(top, bytes)
      : { descriptor: top, manifest: top };
    const manifest = named.manifest;
    const where = `${this.name} (manifest ${manifest.digest})`;
    const parsed = parseImageManifest(
      manifest === top ? bytes : await write.store.content.read(manifest.digest),
    );
    checkManifest(parsed, where);
    const config = await write.store.content.read(parsed.config.digest, MAX_CONFIG_BYTES);
    const { config: image } = parseImageConfig(config);
    checkConfig(image, parsed, where);
    const layers = parsed.layers.map((l, i) => ({ blob: l.digest, origin: `layer ${i + 1}` }));
    await registerLayers(write, `image ${manifest.digest}`, layers, image.rootfs.diff_ids, {
      ...(signal && { signal }),
    });
    const references =
      reference.digest === undefined
        ? [reference, withDigest(trimNamed(reference), top.digest)]
        : [reference];
    const record = await write.commit({
      config,
      manifest,
      named: manifest === top ? { descriptor: top } : named,
      references,
    });
    return record.id;
  }

  /** Of an index, the manifest for this machine's platform (stored as a child of the copy). */
  #chosen(index: Descriptor, bytes: Buffer): Required<NamedManifest> {
    const parsed = parseImageIndex(bytes, `index ${index.digest}`);
    const digest = pickPlatform(parsed, hostPlatform(), `${this.name} (index ${index.digest})`);
    const entry = parsed.manifests.find((m) => m.digest === digest)!;
    const { mediaType, size } = entry;
    return { descriptor: index, manifest: { mediaType, digest, size } };
  }
}

/** Copy the image `source` names into `store` as `reference` (a name, with a tag or digest). */
export async function copyIntoStore(
  source: ImageSource,
  store: Store,
  reference: string,
  options: TransferOptions,
): Promise<TransferResult> {
  const ref = parseDockerRef(reference);
  return writeImages(store, async (write) => {
    const sink = new StoreSink(write, ref);
    const result = await transferImage(source, sink, options);
    return { ...result, summary: `${result.summary}, as image ${sink.image}` };
  });
}
