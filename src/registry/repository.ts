/**
 * One repository on one registry, as pull and push use it: manifests by tag or digest, blobs
 * (whole, from an offset, or just whether they exist), cross-repository mounts, uploads (in one
 * request, or as a session of chunks whose state can be asked for), manifest puts and pages of
 * the referrers API — each a distribution API call through the RegistryClient.
 */
import { createHash } from 'node:crypto';
import { pipeline, Transform, type Readable } from 'node:stream';
import { asDigest, type Digest } from '../core/digest.ts';
import { ShaleError } from '../core/errors.ts';
import { MediaTypes } from '../core/media-types.ts';
import type { NamedReference } from '../core/reference.ts';
import { repositoryScope, type Action } from './auth/scope.ts';
import type { RegistryClient } from './client.ts';
import type { HttpResponse } from './transport/response.ts';
import type { RetryBudget } from './transport/retry-policy.ts';

/** Manifest types shale reads, most wanted first. */
const MANIFEST_ACCEPT = [
  MediaTypes.ociIndex,
  MediaTypes.dockerManifestList,
  MediaTypes.ociManifest,
  MediaTypes.dockerManifest,
  MediaTypes.dockerSchema1Signed,
  MediaTypes.dockerSchema1,
].join(', ');

const MAX_MANIFEST_BYTES = 4 << 20;

/** An answer to a blob GET, as sent: pull/blob-answer.ts decides where its body starts. */
export interface BlobStream {
  status: number;
  /** `Content-Range` (a 206 answer's), when present. */
  contentRange?: string;
  /** `Content-Length`, when present. */
  contentLength?: string;
  body: Readable;
}

/** An upload session: where its bytes go next, and how many the registry confirmed it holds. */
export interface UploadState {
  location: string;
  confirmed: number;
}

/**
 * A body factory whose stream reports the bytes it has handed on. A counting Transform, not a
 * 'data' listener: that would start the flow before undici reads.
 */
function counted(open: () => Readable, onProgress: (sent: number) => void): () => Readable {
  return () => {
    let sent = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        onProgress((sent += chunk.length));
        done(null, chunk);
      },
    });
    return pipeline(open(), counter, () => undefined);
  };
}

export class RemoteRepository {
  readonly domain: string;
  readonly path: string;

  constructor(
    private readonly client: RegistryClient,
    ref: Pick<NamedReference, 'domain' | 'path'>,
    private readonly actions: readonly Action[],
  ) {
    this.domain = ref.domain;
    this.path = ref.path;
  }

  /** `host/path`, for messages. */
  get displayName(): string {
    return `${this.domain}/${this.path}`;
  }

  /** The name recorded as a blob's source, for later mounts (same as displayName). */
  get sourceName(): string {
    return this.displayName;
  }

  /** The origin that serves this repository's API, for messages. */
  get origin(): string {
    return this.client.endpoint(this.domain).origin;
  }

  /** A retry budget for one operation (a blob download) against this registry. */
  budget(signal?: AbortSignal): RetryBudget {
    return this.client.transport.budget(signal);
  }

  private base(method: string, path: string, signal?: AbortSignal) {
    return {
      host: this.domain,
      repository: this.path,
      method,
      path,
      actions: this.actions,
      ...(signal && { signal }),
    };
  }

  /**
   * The digest a tag points at: HEAD and its `Docker-Content-Digest`. When HEAD says nothing
   * useful (404 has no body to name the error; some registries omit the header), a GET answers:
   * with the registry's error (MANIFEST_UNKNOWN, …) or the manifest, whose hash is the digest.
   */
  async headManifest(tag: string, signal?: AbortSignal): Promise<Digest> {
    const head = await this.client.request({
      ...this.base('HEAD', `manifests/${tag}`, signal),
      headers: { accept: MANIFEST_ACCEPT },
      acceptStatus: [404],
    });
    await head.discard();
    const header = head.header('docker-content-digest');
    if (head.status !== 404 && header !== undefined) return asDigest(header);
    const { bytes } = await this.client.fetchBytes(
      { ...this.base('GET', `manifests/${tag}`, signal), headers: { accept: MANIFEST_ACCEPT } },
      MAX_MANIFEST_BYTES,
    );
    return asDigest(`sha256:${createHash('sha256').update(bytes).digest('hex')}`);
  }

  /** A manifest's bytes and media type (the body's `mediaType`, else Content-Type). */
  async getManifest(
    reference: string,
    signal?: AbortSignal,
  ): Promise<{ bytes: Buffer; mediaType: string }> {
    const { response, bytes } = await this.client.fetchBytes(
      {
        ...this.base('GET', `manifests/${reference}`, signal),
        headers: { accept: MANIFEST_ACCEPT },
      },
      MAX_MANIFEST_BYTES,
    );
    let declared: unknown;
    try {
      declared = (JSON.parse(bytes.toString('utf8')) as { mediaType?: unknown }).mediaType;
    } catch {
      throw new ShaleError(
        'ERR_INVALID_ARGUMENT',
        `manifest ${reference} from ${this.displayName} is not JSON`,
      );
    }
    const header = response.header('content-type')?.split(';')[0]?.trim();
    const mediaType = typeof declared === 'string' ? declared : header;
    if (mediaType === undefined) {
      throw new ShaleError(
        'ERR_INVALID_ARGUMENT',
        `manifest ${reference} from ${this.displayName} has no media type`,
      );
    }
    return { bytes, mediaType };
  }

  /**
   * A blob's bytes from `offset` on, up to `end` (exclusive) when given (a Range request when
   * either asks for less than the whole), one attempt of `budget`.
   */
  async getBlob(
    digest: Digest,
    offset: number,
    budget: RetryBudget,
    end?: number,
  ): Promise<BlobStream> {
    const ranged = offset > 0 || end !== undefined;
    const range = `bytes=${offset}-${end === undefined ? '' : end - 1}`;
    const response = await this.client.request({
      ...this.base('GET', `blobs/${digest}`, budget.signal),
      ...(ranged && { headers: { range } }),
      budget,
    });
    const contentRange = response.header('content-range');
    const contentLength = response.header('content-length');
    return {
      status: response.status,
      ...(contentRange !== undefined && { contentRange }),
      ...(contentLength !== undefined && { contentLength }),
      body: response.body,
    };
  }

  /** A small blob (a config) whole, at most `size` bytes. */
  async readBlob(digest: Digest, size: number, signal?: AbortSignal): Promise<Buffer> {
    const { bytes } = await this.client.fetchBytes(
      this.base('GET', `blobs/${digest}`, signal),
      size,
    );
    return bytes;
  }

  async hasBlob(digest: Digest, signal?: AbortSignal): Promise<boolean> {
    const response = await this.client.request({
      ...this.base('HEAD', `blobs/${digest}`, signal),
      acceptStatus: [404],
    });
    await response.discard();
    return response.status === 200;
  }

  /** A blob's size (HEAD, Content-Length), for manifests that do not state it (schema1). */
  async blobSize(digest: Digest, signal?: AbortSignal): Promise<number> {
    const response = await this.client.request(this.base('HEAD', `blobs/${digest}`, signal));
    await response.discard();
    const size = Number(response.header('content-length'));
    if (!Number.isSafeInteger(size) || size < 0) {
      throw new ShaleError(
        'ERR_INVALID_ARGUMENT',
        `${this.displayName} gave no size for blob ${digest}`,
      );
    }
    return size;
  }

  /** Ask the registry to link a blob from another of its repositories; true when it did. */
  async mountBlob(digest: Digest, from: NamedReference, signal?: AbortSignal): Promise<boolean> {
    const query = `mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from.path)}`;
    const response = await this.client.request({
      ...this.base('POST', `blobs/uploads/?${query}`, signal),
      extraScopes: [repositoryScope(from.path, ['pull'])],
      acceptStatus: [401, 403, 404],
    });
    await response.discard();
    if (response.status === 201) return true;
    // 202: the registry started an ordinary upload instead; abandon it (it expires).
    return false;
  }

  /** Start an upload session: POST, and the `Location` to send its bytes to. */
  async startUpload(signal?: AbortSignal): Promise<UploadState> {
    const started = await this.client.request(this.base('POST', 'blobs/uploads/', signal));
    await started.discard();
    return { location: this.locationOf(started, 'POST'), confirmed: 0 };
  }

  /**
   * Where an upload session stands (`GET <location>`: 204 with `Range: 0-N`), or undefined when
   * the registry no longer knows it (404: expired, cancelled, or the registry forgot it).
   */
  async uploadStatus(location: string, signal?: AbortSignal): Promise<UploadState | undefined> {
    const answer = await this.client.request({
      ...this.base('GET', '', signal),
      url: location,
      acceptStatus: [404],
    });
    await answer.discard();
    if (answer.status === 404) return undefined;
    return {
      location: answer.header('location') === undefined ? location : this.locationOf(answer, 'GET'),
      confirmed: this.confirmedBy(answer, 'GET'),
    };
  }

  /**
   * Send bytes `start`…`start + length - 1` of an upload (`PATCH` with `Content-Range`); resolves
   * to the session's new Location and the bytes the registry now confirms (its `Range`).
   */
  async uploadChunk(
    location: string,
    start: number,
    length: number,
    open: () => Readable,
    onProgress: (sent: number) => void,
    signal?: AbortSignal,
  ): Promise<UploadState> {
    const answer = await this.client.request({
      ...this.base('PATCH', '', signal),
      url: location,
      headers: {
        'content-type': 'application/octet-stream',
        'content-length': String(length),
        'content-range': `${start}-${start + length - 1}`,
      },
      body: counted(open, onProgress),
      retryable: false,
    });
    await answer.discard();
    return {
      location: this.locationOf(answer, 'PATCH'),
      confirmed: this.confirmedBy(answer, 'PATCH'),
    };
  }

  /**
   * Finish an upload: `PUT <location>?digest=…`, with the blob's bytes (a monolithic upload) or
   * none (after chunks). The registry checks the whole blob against the digest.
   */
  async commitUpload(
    location: string,
    digest: Digest,
    signal?: AbortSignal,
    content?: { size: number; open: () => Readable; onProgress: (sent: number) => void },
  ): Promise<void> {
    const url = new URL(location);
    url.searchParams.set('digest', digest);
    const done = await this.client.request({
      ...this.base('PUT', '', signal),
      url: url.toString(),
      headers: {
        'content-type': 'application/octet-stream',
        'content-length': String(content?.size ?? 0),
      },
      ...(content && { body: counted(content.open, content.onProgress) }),
      retryable: true,
    });
    await done.discard();
  }

  /** Upload a blob in one request: POST for a session, then one PUT with the bytes and the digest. */
  async uploadBlob(
    digest: Digest,
    size: number,
    open: () => Readable,
    onProgress: (sent: number) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    const { location } = await this.startUpload(signal);
    await this.commitUpload(location, digest, signal, { size, open, onProgress });
  }

  /** The absolute `Location` of an upload answer; an answer without one is refused. */
  private locationOf(answer: HttpResponse, method: string): string {
    const location = answer.header('location');
    if (location === undefined) {
      throw new ShaleError(
        'ERR_REGISTRY',
        `${this.displayName} answered the upload ${method} without a Location`,
      );
    }
    return new URL(location, answer.url).toString();
  }

  /** Bytes an upload answer's `Range: 0-N` confirms (`0-0` is Distribution's "none yet"). */
  private confirmedBy(answer: HttpResponse, method: string): number {
    const range = answer.header('range');
    const match = range === undefined ? null : /^(?:bytes=)?0-(\d{1,15})$/.exec(range.trim());
    if (match === null) {
      throw new ShaleError(
        'ERR_REGISTRY',
        `${this.displayName} answered the upload ${method} with ${range === undefined ? 'no Range' : `Range ${JSON.stringify(range)}`}, not 0-N`,
      );
    }
    const last = Number(match[1]);
    return last === 0 ? 0 : last + 1;
  }

  /** Put a manifest under `tag`; resolves to the digest the registry reports. */
  async putManifest(
    tag: string,
    mediaType: string,
    bytes: Buffer,
    signal?: AbortSignal,
  ): Promise<Digest> {
    return (await this.putManifestAnswer(tag, mediaType, bytes, signal)).digest;
  }

  /**
   * Put a manifest under `tag` (or its digest): the digest the registry reports, and its
   * `OCI-Subject` header — the subject's digest, sent only by a registry with a referrers API of
   * its own when the manifest has a `subject`.
   */
  async putManifestAnswer(
    tag: string,
    mediaType: string,
    bytes: Buffer,
    signal?: AbortSignal,
  ): Promise<{ digest: Digest; ociSubject?: string }> {
    const response = await this.client.request({
      ...this.base('PUT', `manifests/${tag}`, signal),
      headers: { 'content-type': mediaType },
      body: bytes,
    });
    await response.discard();
    const header = response.header('docker-content-digest');
    if (header === undefined) {
      throw new ShaleError(
        'ERR_INVALID_ARGUMENT',
        `${this.displayName} accepted the manifest without reporting its digest`,
      );
    }
    const ociSubject = response.header('oci-subject');
    return { digest: asDigest(header), ...(ociSubject !== undefined && { ociSubject }) };
  }

  /**
   * One page of the referrers API (`referrers/<digest>?…`, or the `next` URL of a page's Link
   * header), at most `maxBytes`; undefined when the registry answers 404: it has no such API.
   */
  async getReferrersPage(
    page: { path: string } | { url: string },
    maxBytes: number,
    signal?: AbortSignal,
  ): Promise<{ bytes: Buffer; contentType?: string; link?: string } | undefined> {
    const { response, bytes } = await this.client.fetchBytes(
      {
        ...this.base('GET', '', signal),
        ...page,
        headers: { accept: MediaTypes.ociIndex },
        acceptStatus: [404],
      },
      maxBytes,
    );
    if (response.status === 404) return undefined;
    const contentType = response.header('content-type');
    const link = response.header('link');
    return {
      bytes,
      ...(contentType !== undefined && { contentType }),
      ...(link !== undefined && { link }),
    };
  }
}
