/**
 * A registry repository as either end of a copy, through `RemoteRepository`: as a source, the
 * manifest its tag or digest names, manifests by digest and blob streams (each GET one retry
 * budget's work); as a sink, blob checks, cross-repository mounts within one registry, uploads in
 * one request (the registry checks the digest before the blob exists there) and manifest puts
 * whose reported digest must be the one sent. Referrers are listed and recorded as `referrers`
 * and `attachArtifact` do (the API, else the tag schema; a source without the API is asked once).
 */
import type { Readable } from 'node:stream';
import { asDigest, type Digest } from '../../core/digest.ts';
import { ShaleError } from '../../core/errors.ts';
import type { NamedReference } from '../../core/reference.ts';
import {
  checkArtifact,
  DEFAULT_JSON_LIMIT,
  putArtifact,
  referrersOf,
  RemoteRepository,
  type ReferrerDescriptor,
  type RegistryClient,
} from '../../registry/index.ts';
import { bodyStart } from '../../registry/pull/blob-answer.ts';
import type { Descriptor, ImageSink, ImageSource, ResolvedManifest } from './seam.ts';

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

export class RegistrySink implements ImageSink {
  readonly name: string;
  readonly #repo: RemoteRepository;

  constructor(
    client: RegistryClient,
    private readonly reference: NamedReference,
  ) {
    this.#repo = new RemoteRepository(client, reference, ['pull', 'push']);
    this.name = reference.toString();
  }

  hasBlob(descriptor: Descriptor, signal?: AbortSignal): Promise<boolean> {
    return this.#repo.hasBlob(descriptor.digest, signal);
  }

  async mountBlob(
    descriptor: Descriptor,
    source: ImageSource,
    signal?: AbortSignal,
  ): Promise<boolean> {
    const from = source.repository;
    if (from?.domain !== this.#repo.domain || from.path === this.#repo.path) return false;
    return this.#repo.mountBlob(descriptor.digest, from, signal);
  }

  writeBlob(descriptor: Descriptor, open: () => Readable, signal?: AbortSignal): Promise<void> {
    const { digest, size } = descriptor;
    return this.#repo.uploadBlob(digest, size, open, () => undefined, signal);
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
