/**
 * A registry repository as either end of a transfer, through `RemoteRepository`: as a source, the
 * manifest its tag or digest names, manifests by digest and blob streams (each GET one retry
 * budget's work); as a sink, blob checks, cross-repository mounts within one registry, uploads
 * (the registry checks the digest before the blob exists there) in one request or, for a large
 * blob whose source reads ranges, in resumable chunks (push/chunked-upload.ts), and manifest puts
 * whose reported digest must be the one sent. Referrers are listed and recorded as `referrers`
 * and `attachArtifact` do (the API, else the tag schema; a source without the API is asked once).
 */
import type { Readable } from 'node:stream';
import { asDigest, type Digest } from '../../core/digest.ts';
import { ShaleError } from '../../core/errors.ts';
import type { NamedReference } from '../../core/reference.ts';
import type { RegistryClient } from '../client.ts';
import { checkArtifact, putArtifact } from '../push/attach.ts';
import { referrersOf, type ReferrerDescriptor } from '../referrers.ts';
import { RemoteRepository } from '../repository.ts';
import { DEFAULT_JSON_LIMIT } from '../transport/body.ts';
import { bodyStart } from '../pull/blob-answer.ts';
import type { UploadSessionStore } from '../../store/index.ts';
import { uploadInChunks } from '../push/chunked-upload.ts';
import type { BlobBytes, Descriptor, ImageSink, ImageSource, ResolvedManifest } from './seam.ts';

/** The largest manifest or index a copy reads (the registry client's cap for documents). */
export const MAX_MANIFEST_BYTES = DEFAULT_JSON_LIMIT;

/** The tag or digest `ref` names (a reference without either means `latest`). */
function nameIn(ref: NamedReference): string {
  return ref.digest ?? ref.tag ?? 'latest';
}

export class RegistrySource implements ImageSource {
  readonly name: string;
  readonly #repo: RemoteRepository;
  /** Set once the registry answered that it has no referrers API: later lists use tags at once. */
  #noReferrersApi = false;

  constructor(
    client: RegistryClient,
    readonly repository: NamedReference,
  ) {
    this.#repo = new RemoteRepository(client, repository, ['pull']);
    this.name = repository.toString();
  }

  async resolve(signal?: AbortSignal): Promise<ResolvedManifest> {
    const { bytes, mediaType } = await this.#repo.getManifest(nameIn(this.repository), signal);
    const { digest } = this.repository;
    return { bytes, mediaType, ...(digest !== undefined && { digest: asDigest(digest) }) };
  }

  async readManifest(descriptor: Descriptor, signal?: AbortSignal): Promise<Buffer> {
    if (descriptor.size > MAX_MANIFEST_BYTES) {
      throw new ShaleError(
        'ERR_LIMIT',
        `${this.name} lists manifest ${descriptor.digest} of ${descriptor.size} bytes; at most ${MAX_MANIFEST_BYTES} are read`,
      );
    }
    return (await this.#repo.getManifest(descriptor.digest, signal)).bytes;
  }

  mountSources(): Promise<NamedReference[]> {
    return Promise.resolve([this.repository]);
  }

  async openBlob(descriptor: Descriptor, signal?: AbortSignal): Promise<Readable> {
    const { digest, size } = descriptor;
    const answer = await this.#repo.getBlob(digest, 0, this.#repo.budget(signal));
    try {
      bodyStart(answer, { from: this.#repo.displayName, digest, size, offset: 0 });
    } catch (err) {
      answer.body.destroy();
      throw err;
    }
    return answer.body;
  }

  async listReferrers(subject: Digest, signal?: AbortSignal): Promise<ReferrerDescriptor[]> {
    const hasApi = !this.#noReferrersApi;
    const found = await referrersOf(this.#repo, subject, { hasApi, ...(signal && { signal }) });
    this.#noReferrersApi = found.source === 'tag-schema';
    return found.referrers;
  }
}

/** How a registry sink uploads: large blobs in resumable chunks, given where to keep sessions. */
export interface UploadOptions {
  /**
   * Blobs larger than this go up in `PATCH` chunks of this size when the source reads ranges and
   * `sessions` is given; others in one request (0: every blob in one request).
   */
  chunkSize?: number;
  /** Where each chunked upload's session is remembered, so a later run continues it. */
  sessions?: UploadSessionStore;
}

export class RegistrySink implements ImageSink {
  readonly name: string;
  readonly refusesWrongBlobs = true;
  readonly #repo: RemoteRepository;

  constructor(
    client: RegistryClient,
    private readonly reference: NamedReference,
    private readonly upload: UploadOptions = {},
  ) {
    this.#repo = new RemoteRepository(client, reference, ['pull', 'push']);
    this.name = reference.toString();
  }

  async hasBlob(descriptor: Descriptor, signal?: AbortSignal): Promise<boolean> {
    const has = await this.#repo.hasBlob(descriptor.digest, signal);
    // A session left by a run killed after its last PUT is done with.
    if (has) await this.upload.sessions?.delete(descriptor.digest, this.#repo.displayName);
    return has;
  }

  async mountBlob(
    descriptor: Descriptor,
    candidates: readonly NamedReference[],
    signal?: AbortSignal,
  ): Promise<NamedReference | undefined> {
    const { domain, path } = this.#repo;
    for (const from of candidates) {
      if (from.domain !== domain || from.path === path) continue;
      if (await this.#repo.mountBlob(descriptor.digest, from, signal)) return from;
    }
    return undefined;
  }

  writeBlob(descriptor: Descriptor, bytes: BlobBytes, signal?: AbortSignal): Promise<void> {
    const { digest, size } = descriptor;
    const { chunkSize = 0, sessions } = this.upload;
    const { openRange, onProgress } = bytes;
    if (chunkSize > 0 && size > chunkSize && openRange && sessions) {
      const blob = { digest, size, open: openRange };
      return uploadInChunks(this.#repo, sessions, blob, {
        chunkSize,
        onProgress,
        ...(signal && { signal }),
      });
    }
    // The stream reports its own progress as the request reads it.
    return this.#repo.uploadBlob(
      digest,
      size,
      () => bytes.open(),
      () => undefined,
      signal,
    );
  }

  async putManifest(
    descriptor: Descriptor,
    bytes: Buffer,
    top: boolean,
    signal?: AbortSignal,
  ): Promise<void> {
    const { digest, mediaType } = descriptor;
    const pinned = this.reference.digest;
    if (top && pinned !== undefined && pinned !== digest) {
      throw new ShaleError(
        'ERR_DIGEST_MISMATCH',
        `cannot copy manifest ${digest} to ${this.name}: the destination names another digest`,
      );
    }
    const stored = await this.#repo.putManifest(
      top ? nameIn(this.reference) : digest,
      mediaType,
      bytes,
      signal,
    );
    if (stored !== digest) {
      throw new ShaleError(
        'ERR_DIGEST_MISMATCH',
        `${this.#repo.displayName} stored manifest ${digest} as ${stored}`,
      );
    }
  }

  async putReferrer(
    descriptor: ReferrerDescriptor,
    bytes: Buffer,
    signal?: AbortSignal,
  ): Promise<void> {
    await putArtifact(this.#repo, checkArtifact(bytes, descriptor.digest), signal);
  }
}
