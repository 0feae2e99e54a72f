/**
 * The decompression-bomb guard: counts compressed bytes in and decompressed bytes out, and throws
 * ERR_LIMIT when `maxOutputBytes` or `maxRatio` (past 1 MiB of output) is exceeded.
 */
import { ShaleError } from '../../core/errors.ts';
import type { Compression, DecompressOptions } from './types.ts';

/** maxRatio only applies once this much has been produced, so tiny inputs never trip it. */
export const RATIO_FLOOR_BYTES = 1024 * 1024;

export class OutputLimits {
  readonly #format: Compression;
  readonly #maxOutput: number;
  readonly #maxRatio: number;
  #in = 0;
  #out = 0;

  constructor(format: Compression, options: DecompressOptions = {}) {
    const { maxOutputBytes, maxRatio } = options;
    if (
      maxOutputBytes !== undefined &&
      !(typeof maxOutputBytes === 'number' && maxOutputBytes >= 0)
    )
      throw new ShaleError('ERR_INVALID_ARGUMENT', `maxOutputBytes must be a number >= 0`);
    if (maxRatio !== undefined && !(typeof maxRatio === 'number' && maxRatio > 0))
      throw new ShaleError('ERR_INVALID_ARGUMENT', `maxRatio must be a number > 0`);
    this.#format = format;
    this.#maxOutput = maxOutputBytes ?? Infinity;
    this.#maxRatio = maxRatio ?? Infinity;
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
        `${this.#format} stream decompresses to more than maxOutputBytes (${this.#maxOutput} bytes)`,
      );
    }
    if (out > RATIO_FLOOR_BYTES && out > this.#maxRatio * this.#in) {
      throw new ShaleError(
        'ERR_LIMIT',
        `${this.#format} stream expands more than maxRatio ${this.#maxRatio}:1 ` +
          `(${out} bytes out of ${this.#in} compressed bytes): possible decompression bomb`,
      );
    }
    this.#out = out;
  }
}
