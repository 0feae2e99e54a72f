/**
 * The decompression-bomb guard: counts compressed bytes in and decompressed bytes out, and throws
 * ERR_LIMIT when `maxOutputBytes` or `maxRatio` (past `ratioFloorBytes` of output) is exceeded.
 *
 * Every decompression gets the default limits for what its caller leaves unset (`withDefaults`):
 * `SHALE_MAX_LAYER_BYTES` (default 64 GiB) caps a stream's decompressed size, and
 * `SHALE_MAX_RATIO` (default 200:1) its expansion once it has produced 256 MiB. Real layers of
 * files expand 2:1 to 20:1 as a whole; a bomb expands a thousandfold (gzip's most, ~1030:1) to
 * 10^7 (zstd), so it is refused after 256 MiB of output. A layer that is almost nothing but a
 * large zero-filled file also expands ~1000:1: the message names the variable that lets it in.
 * `0` lifts a limit.
 */
import { limitFromEnv } from '../../core/env-limit.ts';
import { ShaleError } from '../../core/errors.ts';
import type { Compression, DecompressOptions } from './types.ts';

/** maxRatio only applies once this much has been produced, unless the caller says otherwise. */
export const RATIO_FLOOR_BYTES = 1024 * 1024;

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** The limits a decompression gets when neither its caller nor the environment sets them. */
export const DEFAULT_LIMITS = {
  maxOutputBytes: 64 * GiB,
  maxRatio: 200,
  ratioFloorBytes: 256 * MiB,
} as const satisfies DecompressOptions;

/** `options` with every limit it leaves unset taken from the environment, else DEFAULT_LIMITS. */
export function withDefaults(options: DecompressOptions = {}): DecompressOptions {
  const maxOutputBytes =
    options.maxOutputBytes ??
    limitFromEnv('SHALE_MAX_LAYER_BYTES', { unit: 'a number of bytes', integer: true }) ??
    DEFAULT_LIMITS.maxOutputBytes;
  if (options.maxRatio !== undefined) {
    return { maxOutputBytes, maxRatio: options.maxRatio, ratioFloorBytes: options.ratioFloorBytes };
  }
  const fromEnv = limitFromEnv('SHALE_MAX_RATIO', { unit: 'a number' });
  return {
    maxOutputBytes,
    maxRatio: fromEnv ?? DEFAULT_LIMITS.maxRatio,
    ratioFloorBytes: options.ratioFloorBytes ?? DEFAULT_LIMITS.ratioFloorBytes,
  };
}

export class OutputLimits {
  readonly #format: Compression;
  readonly #maxOutput: number;
  readonly #maxRatio: number;
  readonly #ratioFloor: number;
  #in = 0;
  #out = 0;

  constructor(format: Compression, options: DecompressOptions = {}) {
    const { maxOutputBytes, maxRatio, ratioFloorBytes } = options;
    if (
      maxOutputBytes !== undefined &&
      !(typeof maxOutputBytes === 'number' && maxOutputBytes >= 0)
    )
      throw new ShaleError('ERR_INVALID_ARGUMENT', `maxOutputBytes must be a number >= 0`);
    if (maxRatio !== undefined && !(typeof maxRatio === 'number' && maxRatio > 0))
      throw new ShaleError('ERR_INVALID_ARGUMENT', `maxRatio must be a number > 0`);
    if (
      ratioFloorBytes !== undefined &&
      !(typeof ratioFloorBytes === 'number' && ratioFloorBytes >= 0)
    )
      throw new ShaleError('ERR_INVALID_ARGUMENT', `ratioFloorBytes must be a number >= 0`);
    this.#format = format;
    this.#maxOutput = maxOutputBytes ?? Infinity;
    this.#maxRatio = maxRatio ?? Infinity;
    this.#ratioFloor = ratioFloorBytes ?? RATIO_FLOOR_BYTES;
  }

  get bytesIn(): number {
    return this.#in;
  }

  get bytesOut(): number {
    return this.#out;
  }

  /** Records `n` compressed bytes handed to the decoder. */
  addInput(n: number): void {
    this.#in += n;
  }

  /** Records `n` decompressed bytes about to be emitted; throws ERR_LIMIT past a limit. */
  addOutput(n: number): void {
    const out = this.#out + n;
    if (out > this.#maxOutput) {
      throw new ShaleError(
        'ERR_LIMIT',
        `${this.#format} stream decompresses to more than ${this.#maxOutput} bytes: ` +
          `possible decompression bomb (SHALE_MAX_LAYER_BYTES raises the limit)`,
      );
    }
    if (out > this.#ratioFloor && out > this.#maxRatio * this.#in) {
      throw new ShaleError(
        'ERR_LIMIT',
        `${this.#format} stream expands more than ${this.#maxRatio}:1 ` +
          `(${out} bytes out of ${this.#in} compressed bytes): possible decompression bomb ` +
          `(SHALE_MAX_RATIO raises the limit)`,
      );
    }
    this.#out = out;
  }
}
