/**
 * The seam `copy` and `push` are built on (go-containerregistry's remote/layout siblings, in
 * small): where an image's bytes come from (`ImageSource`) and where they go (`ImageSink`), both
 * keyed by descriptors (media type, digest, size). A source hands bytes over unverified; the
 * transfer checks every byte against its digest on the way, and a sink makes nothing visible that
 * did not pass.
 */
import type { Readable } from 'node:stream';
import type { Digest } from '../../core/digest.ts';
import type { NamedReference } from '../../core/reference.ts';
import type { ReferrerDescriptor } from '../referrers.ts';
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
  /** The top manifest (or index) the source's reference names. */
  resolve(signal?: AbortSignal): Promise<ResolvedManifest>;
  /** A manifest by its descriptor, whole and unverified. */
  readManifest(descriptor: Descriptor, signal?: AbortSignal): Promise<Buffer>;
  /** A blob's bytes from the start, unverified. */
  openBlob(descriptor: Descriptor, signal?: AbortSignal): Promise<Readable>;
  /**
   * Bytes `start`…`end - 1` of a blob, unverified (the destination checks the whole blob against
   * its digest): what a resumable chunked upload reads (absent: blobs go up in one request).
   */
  openBlobRange?(descriptor: Descriptor, start: number, end: number): Readable;
  /**
   * False for a blob whose ranges the source could only read by reading everything before them
   * (a member of a compressed archive): that blob goes up in one request (absent: true).
   */
  readsRangesOf?(descriptor: Descriptor): boolean;
  /**
   * After a sink failed to write the blob: throws the source's own error when its copy is damaged
   * (the store's, which then quarantines it), so that the damage is what gets reported.
   */
  checkBlob?(descriptor: Descriptor): Promise<void>;
  /**
   * The bytes `openBlob` last gave of the blob failed their check (`failure`): true when the next
   * `openBlob` reads them from elsewhere (a registry passes over the mirror that served them).
   */
  servedDamaged?(descriptor: Descriptor, failure: unknown): boolean;
  /** Repositories known to hold the blob: a sink on one of their registries may mount from them. */
  mountSources?(descriptor: Descriptor): Promise<NamedReference[]>;
  /** The DiffIDs of the layer blobs it sends, when it knows them (progress names layers so). */
  layerDiffIds?(signal?: AbortSignal): Promise<ReadonlyMap<Digest, Digest>>;
  /** The artifacts whose `subject` is `subject`, as listed (absent: the source holds none). */
  listReferrers?(subject: Digest, signal?: AbortSignal): Promise<ReferrerDescriptor[]>;
}

/** One blob's bytes, as a sink may read them. */
export interface BlobBytes {
  /**
   * A fresh stream of the whole blob that fails rather than end with bytes other than the
   * descriptor's (call it again to start over); it reports its progress itself.
   */
  open(): Readable;
  /** Bytes `start`…`end - 1`, unverified, when the source can read ranges (see ImageSource). */
  openRange?: (start: number, end: number) => Readable;
  /** Progress of a sink that reads ranges: the bytes the destination holds or is receiving. */
  onProgress: (sent: number) => void;
}

export interface ImageSink {
  /** How the output names the destination (`host/repo:tag`, `oci:DIR:REF`). */
  readonly name: string;
  /** It holds one image manifest, not an index (a docker-archive): an index source is refused. */
  readonly holdsOneImage?: boolean;
  /**
   * It holds indexes that list indexes (a registry, a layout, an oci-archive; not the store,
   * whose indexes list image manifests only): a source's nested indexes are refused otherwise.
   */
  readonly holdsNestedIndexes?: boolean;
  /**
   * It refuses a blob whose bytes do not hash to its digest (a registry: the distribution spec
   * requires the check before the blob exists there), so a source that can explain damage
   * afterwards (`checkBlob`) is not hashed on the way too.
   */
  readonly refusesWrongBlobs?: boolean;
  /**
   * A failed `writeBlob` leaves nothing of the blob, so it may be written again from elsewhere (a
   * registry, a layout, the store; not an archive, whose entries are appended as they come).
   */
  readonly rewritesBlobs?: boolean;
  hasBlob(descriptor: Descriptor, signal?: AbortSignal): Promise<boolean>;
  /**
   * Link the blob from one of `candidates` on the sink's own registry (absent: it cannot mount);
   * the repository it was mounted from, if it was.
   */
  mountBlob?(
    descriptor: Descriptor,
    candidates: readonly NamedReference[],
    signal?: AbortSignal,
  ): Promise<NamedReference | undefined>;
  /**
   * Write a blob from `bytes`; visible once whole and verified. `'existed'`: another writer
   * stored it meanwhile, and nothing was read.
   */
  writeBlob(
    descriptor: Descriptor,
    bytes: BlobBytes,
    signal?: AbortSignal,
  ): Promise<void | 'existed'>;
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
