/**
 * Public option and result types of the layer applier, plus the warning vocabulary it reports
 * through `onWarning` (things it deliberately skipped instead of failing on).
 */
import type { TarDialect } from '../tar/index.ts';

export type ApplyWarningCode =
  | 'WARN_DEVICE_SKIPPED' // a char/block device entry, not creatable without root (or refused)
  | 'WARN_XATTR_REFUSED' // the file system refused an extended attribute
  | 'WARN_OWNER_REFUSED'; // lchown failed with EPERM/EINVAL (e.g. unmapped id in a user namespace)

export interface ApplyWarning {
  code: ApplyWarningCode;
  /** The entry's resolved path inside the root, relative, as a byte string (latin1, see tar/bytes.ts). */
  path: string;
  message: string;
}

export interface ApplyOptions {
  /** Tar decoding rules; default 'go1.4'. */
  dialect?: TarDialect;
  /** Cap on the sum of the entries' declared content sizes (ERR_LIMIT). */
  maxBytes?: number;
  /** Cap on the number of entries (ERR_LIMIT). */
  maxEntries?: number;
  /** Also count Docker's size of the layer from the entries' headers (`contentSize`). */
  countContent?: boolean;
  /** lchown every entry to its header uid/gid; default: true when running as root. */
  sameOwner?: boolean;
  onWarning?: (warning: ApplyWarning) => void;
  signal?: AbortSignal;
  /**
   * Threads that create small files while the next entries are read (default: one per core
   * beyond the first, at most 2; 0: every file on the calling thread). They start only once a
   * layer has filled a batch.
   */
  writerThreads?: number;
  /** Small files handed over together (default 256; tests use fewer). */
  filesPerBatch?: number;
}

export interface ApplyBlobOptions extends ApplyOptions {
  /** Decompression-bomb guard: output bytes per compressed byte (see DecompressOptions). */
  maxRatio?: number;
  /** Cap on the decompressed stream length in bytes (tar padding and headers included). */
  maxDecompressedBytes?: number;
  /** Also hash the decompressed stream, all of it, and return its DiffID. */
  diffId?: boolean;
}

export interface ApplyResult {
  /** Sum of the entries' header sizes, whiteouts included (Docker's ApplyLayer size). */
  size: number;
  /** Number of tar entries seen (PAX global headers excluded). */
  entries: number;
  /** Docker's (overlay2) size of the layer, its final tree's contents, when `countContent`. */
  contentSize?: number;
}
