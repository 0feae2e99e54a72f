/**
 * A registry repository as either end of a transfer, through `RemoteRepository`: as a source, the
 * manifest its tag or digest names (a schema1 one presented as its OCI conversion,
 * schema1-presented.ts), manifests by digest, blob streams and ranges (each GET one retry
 * budget's work), each read from the repository's mirrors first as a pull reads
 * (pull/endpoints.ts: one that fails, or serves a manifest or blob that does not verify, is
 * skipped with a warning); as a sink, blob checks, cross-repository mounts within one registry,
 * uploads (the registry checks the digest before the blob exists there) in one request or, for
 * a large blob whose source reads ranges, in resumable chunks (push/chunked-upload.ts), and
 * manifest puts whose reported digest must be the one sent. Referrers are listed and recorded as
 * `referrers` and `attachArtifact` do (the API, else the tag schema; a source without the API is
 * asked once).
 */
import { PassThrough, pipeline, Readable } from 'node:stream';
import { asDigest, type Digest } from '../../core/digest.ts';
import { ShaleError } from '../../core/errors.ts';
import { isSchema1 } from '../../core/media-types.ts';
import type { NamedReference } from '../../core/reference.ts';
import type { RegistryClient } from '../client.ts';
import { checkArtifact, putArtifact } from '../push/attach.ts';
import { referrersOf, type ReferrerDescriptor } from '../referrers.ts';
import { RemoteRepository } from '../repository.ts';
import { DEFAULT_JSON_LIMIT } from '../transport/body.ts';
import { bodyStart, discardAnswer, type BlobRequest } from '../pull/blob-answer.ts';
import { PullEndpoints } from '../pull/endpoints.ts';
import type { UploadSessions } from '../../store/index.ts';
import { uploadInChunks } from '../push/chunked-upload.ts';
import type { BlobBytes, Descriptor, ImageSink, ImageSource, ResolvedManifest } from './seam.ts';
import { presentSchema1 } from './schema1-presented.ts';
import { verifyBytes } from './verify.ts';

/** The largest manifest or index a copy reads (the registry client's cap for documents). */
export const MAX_MANIFEST_BYTES = DEFAULT_JSON_LIMIT;

/**
 * The first `request.end - request.offset` bytes of `body` (the range asked for); a body that
 * ends before is a network failure (the chunk is asked for again).
 */
async function* rangeOf(
  body: AsyncIterable<Buffer>,
  request: Required<Pick<BlobRequest, 'end'>> & BlobRequest,
): AsyncGenerator<Buffer> {
  let wanted = request.end - request.offset;
  for await (const chunk of body) {
    const part = chunk.subarray(0, wanted);
    wanted -= part.length;
    if (part.length > 0) yield part;
    if (wanted === 0) return;
  }
  throw new ShaleError(
    'ERR_NETWORK',
    `${request.from} ended its answer before byte ${request.end} of blob ${request.digest}`,
  );
}

/** The tag or digest `ref` names (a reference without either means `latest`). */
function nameIn(ref: NamedReference): string {
  return ref.digest ?? ref.tag ?? 'latest';
}

export class RegistrySource implements ImageSource {
  readonly name: string;
  /** The repository's mirrors, then itself: reads go to the first that serves them verified. */
  readonly #endpoints: PullEndpoints;
  /** Set once the registry answered that it has no referrers API: later lists use tags at once. */
  #noReferrersApi = false;
  /** The endpoint that last served each blob, and the mirrors that served it damaged. */
  readonly #servedBy = new Map<Digest, RemoteRepository>();
  readonly #damaged = new Map<Digest, Set<RemoteRepository>>();
  /** Blobs no registry holds that this source made (a schema1 image's config), by digest. */
  readonly #generated = new Map<Digest, Buffer>();
  readonly #onWarning: (message: string) => void;

  constructor(
    client: RegistryClient,
    readonly repository: NamedReference,
    onWarning: (message: string) => void = () => undefined,
  ) {
    this.#endpoints = new PullEndpoints(client, repository, onWarning);
    this.#onWarning = onWarning;
    this.name = repository.toString();
  }

  async resolve(signal?: AbortSignal): Promise<ResolvedManifest> {
    const name = nameIn(this.repository);
    const { value } = await this.#endpoints.first(
      `${this.repository.digest === undefined ? 'tag' : 'manifest'} ${name}`,
      (endpoint) => endpoint.getManifest(name, signal),
      signal,
    );
    const digest =
      this.repository.digest === undefined ? undefined : asDigest(this.repository.digest);
    const { bytes, mediaType } = value;
    if (isSchema1(mediaType)) return this.#presentSchema1(bytes, name, digest, signal);
    return { bytes, mediaType, ...(digest !== undefined && { digest }) };
  }

  /** A schema1 image, sent as the OCI manifest its pull and push would send (with a warning). */
  async #presentSchema1(
    bytes: Buffer,
    reference: string,
    digest: Digest | undefined,
    signal?: AbortSignal,
  ): Promise<ResolvedManifest> {
    const { path } = this.repository;
    const name = { display: this.name, path, reference, ...(digest && { digest }) };
    const layers = {
      sizeOf: async (blob: Digest) => {
        const size = (e: RemoteRepository) => e.blobSize(blob, signal);
        const skip = this.#damaged.get(blob);
        return (await this.#endpoints.first(`blob ${blob}`, size, signal, skip)).value;
      },
      open: (descriptor: Descriptor) => this.openBlob(descriptor, signal),
      servedDamaged: (descriptor: Descriptor, failure: unknown) =>
        this.servedDamaged(descriptor, failure),
    };
    const { resolved, config } = await presentSchema1(bytes, name, layers, signal);
    this.#generated.set(config.digest, config.bytes);
    this.#onWarning(
      `${this.name} is a schema1 image: it is sent as the OCI manifest a pull and push of it make (its config from the v1 history), so its digest changes`,
    );
    return resolved;
  }

  async readManifest(descriptor: Descriptor, signal?: AbortSignal): Promise<Buffer> {
    if (descriptor.size > MAX_MANIFEST_BYTES) {
      throw new ShaleError(
        'ERR_LIMIT',
        `${this.name} lists manifest ${descriptor.digest} of ${descriptor.size} bytes; at most ${MAX_MANIFEST_BYTES} are read`,
      );
    }
    const { value } = await this.#endpoints.first(
      `manifest ${descriptor.digest}`,
      async (endpoint) => {
        const { bytes } = await endpoint.getManifest(descriptor.digest, signal);
        verifyBytes(bytes, descriptor, endpoint.displayName); // a mirror's wrong one: the next
        return bytes;
      },
      signal,
    );
    return value;
  }

  mountSources(descriptor: Descriptor): Promise<NamedReference[]> {
    return Promise.resolve(this.#generated.has(descriptor.digest) ? [] : [this.repository]);
  }

  /** A blob made here (a schema1 image's config) is sent whole. */
  readsRangesOf(descriptor: Descriptor): boolean {
    return !this.#generated.has(descriptor.digest);
  }

  /**
   * The blob from the first endpoint that answers for it, but for those that served it damaged
   * before. Its bytes are checked as they stream (by the transfer), which tells `servedDamaged`.
   */
  async openBlob(descriptor: Descriptor, signal?: AbortSignal): Promise<Readable> {
    const { digest, size } = descriptor;
    const generated = this.#generated.get(digest);
    if (generated) return Readable.from([generated]);
    this.#servedBy.delete(digest);
    const { value, endpoint } = await this.#endpoints.first(
      `blob ${digest}`,
      async (endpoint) => {
        const answer = await endpoint.getBlob(digest, 0, endpoint.budget(signal));
        // The whole blob: a 206 for less is refused here, not found short later.
        bodyStart(answer, { from: endpoint.displayName, digest, size, offset: 0, end: size });
        return answer.body;
      },
      signal,
      this.#damaged.get(digest),
    );
    this.#servedBy.set(digest, endpoint);
    return value;
  }

  /**
   * Bytes `start`…`end - 1` of the blob (a Range GET) from the first endpoint that answers, but
   * for those that served it damaged: what a resumable chunked upload reads (the destination
   * checks the whole blob's digest). A registry that answers with the whole blob serves the first
   * chunk so; past it, reading the blob from its start again for every chunk would cost the
   * square of its size, so that is refused, saying how to copy it in one request.
   */
  openBlobRange(descriptor: Descriptor, start: number, end: number): Readable {
    const out = new PassThrough({ highWaterMark: 1 << 20 });
    this.#openRange(descriptor, start, end).then(
      ({ body, request }) => {
        // Its errors reach the reads below; after `out` is gone, nobody reads it.
        body.on('error', () => undefined);
        out.once('close', () => body.destroy());
        if (out.destroyed) body.destroy();
        else
          pipeline(
            Readable.from(rangeOf(body, request), { objectMode: false }),
            out,
            () => undefined,
          );
      },
      (err: unknown) => out.destroy(err as Error),
    );
    return out;
  }

  async #openRange(descriptor: Descriptor, start: number, end: number) {
    const { digest, size } = descriptor;
    this.#servedBy.delete(digest);
    const { value, endpoint } = await this.#endpoints.first(
      `bytes ${start}-${end - 1} of blob ${digest}`,
      async (endpoint) => {
        const answer = await endpoint.getBlob(digest, start, endpoint.budget(), end);
        const request = { from: endpoint.displayName, digest, size, offset: start, end };
        if (bodyStart(answer, request) !== start) {
          discardAnswer(answer);
          throw new ShaleError(
            'ERR_UNSUPPORTED',
            `${endpoint.displayName} ignores Range requests for blob ${digest}, so it cannot be sent in chunks: copy with --chunk-size 0`,
          );
        }
        return { body: answer.body, request };
      },
      undefined,
      this.#damaged.get(digest),
    );
    this.#servedBy.set(digest, endpoint);
    return value;
  }

  /**
   * A mirror whose bytes failed is passed over for that blob, once; the origin's failure, or a
   * failure of bytes no endpoint is known to have served, is final.
   */
  servedDamaged(descriptor: Descriptor, failure: unknown): boolean {
    const { digest } = descriptor;
    const endpoint = this.#servedBy.get(digest);
    const damaged = this.#damaged.get(digest) ?? new Set();
    if (!endpoint || damaged.has(endpoint)) return false;
    if (!this.#endpoints.passOver(endpoint, `blob ${digest}`, failure)) return false;
    this.#damaged.set(digest, damaged.add(endpoint));
    this.#servedBy.delete(digest);
    return true;
  }

  /** Listed by the first endpoint that answers, as every other read of the source. */
  async listReferrers(subject: Digest, signal?: AbortSignal): Promise<ReferrerDescriptor[]> {
    const hasApi = !this.#noReferrersApi;
    const { value: found } = await this.#endpoints.first(
      `the referrers of ${subject}`,
      (endpoint) => referrersOf(endpoint, subject, { hasApi, ...(signal && { signal }) }),
      signal,
    );
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
  sessions?: UploadSessions;
}

export class RegistrySink implements ImageSink {
  readonly name: string;
  readonly refusesWrongBlobs = true;
  readonly rewritesBlobs = true;
  readonly holdsNestedIndexes = true;
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
    if (has && this.#inChunks(descriptor))
      await this.upload.sessions?.delete(descriptor.digest, this.#repo.displayName);
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

  /** Whether a blob of this size goes up in chunks (from a source that reads ranges). */
  #inChunks(descriptor: Descriptor): boolean {
    const { chunkSize = 0, sessions } = this.upload;
    return chunkSize > 0 && descriptor.size > chunkSize && sessions !== undefined;
  }

  writeBlob(descriptor: Descriptor, bytes: BlobBytes, signal?: AbortSignal): Promise<void> {
    const { digest, size } = descriptor;
    const { chunkSize = 0, sessions } = this.upload;
    const { openRange, onProgress } = bytes;
    if (this.#inChunks(descriptor) && openRange && sessions) {
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
