/**
 * The seam `copy` is built on (go-containerregistry's remote/layout siblings, in small): where an
 * image's bytes come from (`ImageSource`) and where they go (`ImageSink`), both keyed by
 * descriptors (media type, digest, size). A source hands bytes over unverified; the copy checks
 * every byte against its digest on the way, and a sink makes nothing visible that did not pass.
 */
import type { Readable } from 'node:stream';
import type { Digest } from '../../core/digest.ts';
import type { NamedReference } from '../../core/reference.ts';
import type { ReferrerDescriptor } from '../../registry/index.ts';
import type { Descriptor } from '../../store/index.ts';

export type { Descriptor, ReferrerDescriptor };

/** The manifest (or index) a source's reference names, as it was served. */
export interface ResolvedManifest {
  mediaType: string;
  bytes: Buffer;
  /** The digest the reference itself states (a digest reference, a layout's index entry). */
  digest?: Digest;
}

export interface ImageSource {
  /** How messages name it: `host/repo:tag`, `oci:DIR:REF`. */
  readonly name: string;
  /** The registry repository it reads, when it is one: a sink on that registry may mount from it. */
  readonly repository?: NamedReference;
  /** The top manifest (or index) the source's reference names. */
  resolve(signal?: AbortSignal): Promise<ResolvedManifest>;
  /** A manifest by its descriptor, whole and unverified. */
  readManifest(descriptor: Descriptor, signal?: AbortSignal): Promise<Buffer>;
  /** A blob's bytes from the start, unverified. */
  openBlob(descriptor: Descriptor, signal?: AbortSignal): Promise<Readable>;
  /** The artifacts whose `subject` is `subject`, as listed (absent: the source holds none). */
  listReferrers?(subject: Digest, signal?: AbortSignal): Promise<ReferrerDescriptor[]>;
}

export interface ImageSink {
  /** How the output names the destination (`host/repo:tag`, `oci:DIR:REF`). */
  readonly name: string;
  /** It holds one image manifest, not an index (a docker-archive): an index source is refused. */
  readonly holdsOneImage?: boolean;
  hasBlob(descriptor: Descriptor, signal?: AbortSignal): Promise<boolean>;
  /** Link the blob from `source`'s repository when both are on one registry; true when it did. */
  mountBlob(descriptor: Descriptor, source: ImageSource, signal?: AbortSignal): Promise<boolean>;
  /**
   * Write a blob from `open`, which gives a fresh stream of its bytes that fails rather than end
   * with bytes other than the descriptor's (call it again to start over); visible once whole.
   */
  writeBlob(descriptor: Descriptor, open: () => Readable, signal?: AbortSignal): Promise<void>;
  /**
   * Put a manifest whose bytes were verified: by its digest, or (`top`, the last put of a copy)
   * under the name the destination gives the image.
   */
  putManifest(
    descriptor: Descriptor,
    bytes: Buffer,
    top: boolean,
    signal?: AbortSignal,
  ): Promise<void>;
  /**
   * Put an artifact manifest whose bytes were verified and whose blobs are in place, by digest,
   * and list it as a referrer of its subject (absent: the destination cannot hold referrers).
   */
  putReferrer?(descriptor: ReferrerDescriptor, bytes: Buffer, signal?: AbortSignal): Promise<void>;
}
