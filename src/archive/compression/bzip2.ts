/**
 * bzip2 decoding: the block decoder of unbzip2-stream (its lib/bzip2.js) under our own driver,
 * which replaces the package's stream wrapper: bounded output per step, input retained only for
 * the block being decoded, a retry when a block is not fully buffered yet, and no trailing garbage.
 */
import { createRequire } from 'node:module';
import { ShaleError } from '../../core/errors.ts';
import { Bzip2BitReader, NEED_MORE } from './bzip2-bits.ts';
import type { OutputLimits } from './limits.ts';
import { PumpDecoder } from './pump-decoder.ts';
import { corrupt } from './types.ts';

type Bits = (n: number | null) => number;

/** The parts of unbzip2-stream/lib/bzip2.js we use (plain JS, no types shipped). */
interface Bzip2Core {
  /** Reads "BZh" + level digit; returns the level (1..9, block size in 100 kB). */
  header(bits: Bits): number;
  /**
   * Decodes one block, calling `write` for every output byte after all of its bits are read;
   * returns the running stream CRC, or null at the end-of-stream marker (whose CRC it checks).
   */
  decompress(
    bits: Bits,
    write: (byte: number) => void,
    buf: Int32Array,
    bufsize: number,
    streamCRC: number,
  ): number | null;
}

let loadedCore: Bzip2Core | undefined;
/** The block decoder, required on first use (most shale commands never meet bzip2). */
function bzip2(): Bzip2Core {
  return (loadedCore ??= createRequire(import.meta.url)(
    'unbzip2-stream/lib/bzip2.js',
  ) as Bzip2Core);
}

/** The library's own error messages are whimsical ("moo i'm a cow"): say what happened instead. */
function libraryError(err: unknown): unknown {
  if (!(err instanceof Error) || err.name !== 'Bzip2Error') return err;
  const what = /crc32/i.test(err.message)
    ? 'CRC mismatch'
    : /magic|BZIP archive/i.test(err.message)
      ? 'not a bzip2 stream (bad magic)'
      : 'invalid block data';
  return new ShaleError('ERR_BAD_COMPRESSION', `corrupt bzip2 stream: ${what}`, { cause: err });
}

/** Output is handed on in pieces of this size while a block is written. */
const OUTPUT_CHUNK = 256 * 1024;

export class Bzip2Decoder extends PumpDecoder {
  readonly #bits = new Bzip2BitReader();
  #inStream = false; // between a stream header and its end-of-stream marker
  #streams = 0;
  #level = 0;
  #crc = 0;
  #blockBuf: Int32Array | null = null;
  /** Don't try a block until this many bytes are buffered (unless the input is over). */
  #want = 0;
  #out = Buffer.allocUnsafeSlow(OUTPUT_CHUNK);
  #outStart = 0;
  #outPos = 0;
  readonly #writeByte = (byte: number): void => {
    this.#out[this.#outPos++] = byte;
    if (this.#outPos === this.#out.length) this.#flushOutput();
  };

  constructor(limits: OutputLimits) {
    super('bzip2', limits);
  }

  #flushOutput(): void {
    if (this.#outPos === this.#outStart) return;
    const piece = this.#out.subarray(this.#outStart, this.#outPos);
    if (this.#outPos === this.#out.length) {
      this.#out = Buffer.allocUnsafeSlow(OUTPUT_CHUNK);
      this.#outPos = 0;
    }
    this.#outStart = this.#outPos;
    this.emitOutput(piece);
  }

  /** The bit reader, not the base class's byte queue, holds bzip2 input. */
  protected override receive(chunk: Buffer): void {
    this.#bits.push(chunk);
  }

  protected step(ending: boolean): boolean {
    const bits = this.#bits;
    bits.ending = ending;
    if (!this.#inStream) {
      if (bits.available === 0) {
        if (ending && this.#streams === 0) throw corrupt('bzip2', 'empty input');
        return false; // done, or waiting for the next stream
      }
      if (bits.available < 4 && !ending) return false;
      bits.mark();
      try {
        this.#level = bzip2().header(bits.read);
      } catch (err) {
        if (err === NEED_MORE) {
          bits.rewind();
          return false;
        }
        if (this.#streams > 0) throw corrupt('bzip2', 'trailing data after the end of the stream');
        throw libraryError(err);
      }
      bits.commit();
      const size = this.#level * 100_000;
      if (this.#blockBuf?.length !== size) this.#blockBuf = new Int32Array(size);
      this.#inStream = true;
      this.#crc = 0;
      this.#want = 0;
      return true;
    }
    // A block's compressed size is not known up front: try once a typical block is buffered
    // and start over (nothing has been written yet) if its bits run out.
    if (!ending && bits.available < Math.max(this.#want, this.#level * 100_000 + 25_000)) {
      return false;
    }
    bits.mark();
    let crc: number | null;
    try {
      crc = bzip2().decompress(
        bits.read,
        this.#writeByte,
        this.#blockBuf!,
        this.#blockBuf!.length,
        this.#crc,
      );
    } catch (err) {
      if (err === NEED_MORE) {
        bits.rewind();
        this.#want = bits.available + Math.max(bits.available >> 1, 256 * 1024);
        return false;
      }
      throw libraryError(err);
    }
    bits.commit();
    this.#flushOutput();
    if (crc === null) {
      this.#inStream = false;
      this.#streams++;
    } else {
      this.#crc = crc;
    }
    return true;
  }

  protected finish(): void {
    if (this.#inStream) throw corrupt('bzip2', 'unexpected end of input');
  }
}
