/**
 * Shared types of the compression module: the compression names, the option bags, and the
 * ShaleError helpers every codec uses to report corrupt input.
 */
import { ShaleError, isShaleError } from '../../core/errors.ts';

/** A layer's compression, as Docker's pkg/archive names them ('none' = uncompressed). */
export type Compression = 'gzip' | 'zstd' | 'xz' | 'bzip2' | 'none';

/** Every value of `Compression`, in sniffing order. */
export const COMPRESSIONS: readonly Compression[] = ['bzip2', 'gzip', 'xz', 'zstd', 'none'];

/** Decompression-bomb guard; what is left unset gets the defaults (limits.ts withDefaults). */
export interface DecompressOptions {
  /** Error (ERR_LIMIT) as soon as the decompressed output would exceed this many bytes. */
  maxOutputBytes?: number;
  /**
   * Error (ERR_LIMIT) once output bytes > maxRatio × compressed bytes consumed so far, checked
   * only after the output passes `ratioFloorBytes` so that small inputs never trip it.
   */
  maxRatio?: number;
  /** Output after which maxRatio applies: 1 MiB with a caller's maxRatio, else the default's. */
  ratioFloorBytes?: number;
}

export interface CompressOptions {
  /** gzip: -1..9 (default 6); zstd: negative "fast" levels up to 22 (default 3). */
  level?: number;
}

/** Wraps a codec's own error (or anything thrown) as ERR_BAD_COMPRESSION; ShaleErrors pass. */
export function badCompression(format: Compression, err: unknown): ShaleError {
  if (isShaleError(err)) return err;
  const detail = err instanceof Error ? err.message : String(err);
  return new ShaleError('ERR_BAD_COMPRESSION', `corrupt ${format} stream: ${detail}`, {
    cause: err,
  });
}

/** A corrupt-stream error with our own wording. */
export function corrupt(format: Compression, what: string): ShaleError {
  return new ShaleError('ERR_BAD_COMPRESSION', `corrupt ${format} stream: ${what}`);
}
