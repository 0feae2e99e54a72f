/**
 * zstd decoding: fzstd (pure JS) behind our own frame walker. The walker feeds fzstd one block at a
 * time (so output per step is <= 128 KiB, even for RLE-heavy streams), skips skippable frames,
 * verifies content checksums (fzstd skips them), refuses dictionaries and windows over 128 MiB,
 * and rejects trailing garbage.
 */
import { Decompress } from 'fzstd';
import { ShaleError } from '../../core/errors.ts';
import type { OutputLimits } from './limits.ts';
import { PumpDecoder } from './pump-decoder.ts';
import { ZSTD_FRAME_MAGIC, ZSTD_SKIPPABLE_MAGIC, ZSTD_SKIPPABLE_MASK } from './sniff.ts';
import { corrupt } from './types.ts';
import { Xxh64 } from './xxhash64.ts';

/** Largest window we decode: the reference decoder's default limit (windowLog 27). */
export const ZSTD_MAX_WINDOW = 128 * 1024 * 1024;
/** Block_Maximum_Size of the zstd format. */
const ZSTD_MAX_BLOCK = 128 * 1024;

const DICT_ID_SIZES = [0, 1, 2, 4] as const;

type State = 'frame' | 'skippable' | 'blockHeader' | 'block' | 'checksum';

/** A frame whose output fzstd has not fully produced yet, or whose checksum is still unread. */
interface PendingFrame {
  checksum: boolean;
  endBlock: number; // block number (counting all frames) of its last block; -1 until parsed
  done: boolean; // all its blocks were decoded
  expected: number | null; // stored checksum
  actual: number | null; // low 32 bits of the XXH64 of its output
}

export class ZstdDecoder extends PumpDecoder {
  #state: State = 'frame';
  #frames = 0; // frames seen (skippable ones included)
  #blockMax = 0; // Block_Maximum_Size of the current frame
  #checksum = false; // current frame ends with a 4-byte content checksum
  #lastBlock = false;
  #remaining = 0; // bytes left of the current block (header included) or skippable frame
  readonly #fzstd: Decompress;
  // Output arrives from fzstd one call per block, possibly later than the block was fed (it
  // holds back frame starts under 18 bytes), so frames are matched to output by block count.
  readonly #pending: PendingFrame[] = [];
  #blocksParsed = 0;
  #blocksDecoded = 0;
  readonly #hash = new Xxh64();

  constructor(limits: OutputLimits) {
    super('zstd', limits);
    this.#fzstd = new Decompress((data, final) => {
      if (final === true && data.length === 0) return; // the end-of-input call
      this.#blockDecoded(data);
    });
  }

  #blockDecoded(data: Uint8Array): void {
    const frame = this.#pending[0];
    if (frame === undefined || frame.done) throw corrupt('zstd', 'output outside of a frame');
    this.#blocksDecoded++;
    if (frame.checksum) this.#hash.update(data);
    this.emitOutput(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    if (frame.endBlock === this.#blocksDecoded) {
      frame.done = true;
      if (frame.checksum) {
        frame.actual = this.#hash.digestLow32();
        this.#hash.reset();
      }
      this.#settle();
    }
  }

  /** Drops finished frames from the front of #pending, comparing their checksums. */
  #settle(): void {
    for (let f = this.#pending[0]; f?.done === true; f = this.#pending[0]) {
      if (f.checksum) {
        if (f.expected === null) return; // checksum bytes not read yet
        if (f.expected !== f.actual) throw corrupt('zstd', 'content checksum mismatch');
      }
      this.#pending.shift();
    }
  }

  /** Hands the next `n` bytes of the current frame to fzstd. */
  #feed(n: number): void {
    this.input.consume(n, (piece) => {
      this.#fzstd.push(piece, false);
    });
  }

  /** Not enough input for the current unit: wait, or fail at end of input. */
  #needMore(ending: boolean, what: string): false {
    if (ending) throw corrupt('zstd', `unexpected end of input in ${what}`);
    return false;
  }

  protected step(ending: boolean): boolean {
    const q = this.input;
    switch (this.#state) {
      case 'frame': {
        if (q.length === 0) return false; // finish() decides whether ending here is fine
        if (q.length < 4) return this.#needMore(ending, 'a frame magic number');
        const magic = q.uintLE(0, 4);
        if (magic === ZSTD_FRAME_MAGIC) return this.#frameHeader(ending);
        if ((magic & ZSTD_SKIPPABLE_MASK) >>> 0 === ZSTD_SKIPPABLE_MAGIC) {
          if (q.length < 8) return this.#needMore(ending, 'a skippable frame header');
          this.#remaining = q.uintLE(4, 4);
          q.consume(8);
          this.#frames++;
          this.#state = 'skippable';
          return true;
        }
        throw corrupt(
          'zstd',
          this.#frames === 0
            ? `bad frame magic 0x${magic.toString(16).padStart(8, '0')}`
            : 'trailing data after the last frame',
        );
      }
      case 'skippable': {
        const n = Math.min(q.length, this.#remaining);
        q.consume(n);
        this.#remaining -= n;
        if (this.#remaining === 0) {
          this.#state = 'frame';
          return true;
        }
        return n > 0 || this.#needMore(ending, 'a skippable frame');
      }
      case 'blockHeader': {
        if (q.length < 3) return this.#needMore(ending, 'a block header');
        const header = q.uintLE(0, 3);
        const type = (header >> 1) & 3;
        const size = header >>> 3;
        if (type === 3) throw corrupt('zstd', 'reserved block type');
        if (size > this.#blockMax) {
          throw corrupt('zstd', `block of ${size} bytes exceeds the maximum ${this.#blockMax}`);
        }
        this.#lastBlock = (header & 1) === 1;
        this.#blocksParsed++;
        if (this.#lastBlock) this.#pending[this.#pending.length - 1]!.endBlock = this.#blocksParsed;
        this.#remaining = 3 + (type === 1 ? 1 : size); // an RLE block stores one byte
        this.#state = 'block';
        return true;
      }
      case 'block': {
        const n = Math.min(q.length, this.#remaining);
        if (n === 0) return this.#needMore(ending, 'a block');
        this.#feed(n);
        this.#remaining -= n;
        if (this.#remaining > 0) return this.#needMore(ending, 'a block');
        this.#state = this.#lastBlock ? (this.#checksum ? 'checksum' : 'frame') : 'blockHeader';
        return true;
      }
      case 'checksum': {
        if (q.length < 4) return this.#needMore(ending, 'the content checksum');
        this.#pending[this.#pending.length - 1]!.expected = q.uintLE(0, 4);
        this.#feed(4);
        this.#state = 'frame';
        this.#settle();
        return true;
      }
    }
  }

  #frameHeader(ending: boolean): boolean {
    const q = this.input;
    if (q.length < 5) return this.#needMore(ending, 'a frame header');
    const descriptor = q.byteAt(4);
    const fcsFlag = descriptor >> 6;
    const singleSegment = (descriptor & 0x20) !== 0;
    if (descriptor & 0x08) throw corrupt('zstd', 'reserved bit set in the frame header');
    const dictIdSize = DICT_ID_SIZES[descriptor & 3]!;
    const fcsSize = fcsFlag === 0 ? (singleSegment ? 1 : 0) : 1 << fcsFlag;
    const headerSize = 5 + (singleSegment ? 0 : 1) + dictIdSize + fcsSize;
    if (q.length < headerSize) return this.#needMore(ending, 'a frame header');

    let pos = 5;
    let window = 0;
    if (!singleSegment) {
      const wd = q.byteAt(pos++);
      const base = 2 ** (10 + (wd >> 3));
      window = base + (base / 8) * (wd & 7);
    }
    const dictId = q.uintLE(pos, dictIdSize);
    pos += dictIdSize;
    if (singleSegment) window = q.uintLE(pos, fcsSize) + (fcsSize === 2 ? 256 : 0);
    if (dictId !== 0) {
      throw new ShaleError(
        'ERR_UNSUPPORTED',
        `zstd frame needs dictionary ${dictId}: zstd dictionaries are not supported`,
      );
    }
    if (window > ZSTD_MAX_WINDOW) {
      throw new ShaleError(
        'ERR_LIMIT',
        `zstd frame needs a ${window}-byte window, more than the ${ZSTD_MAX_WINDOW}-byte limit`,
      );
    }
    this.#blockMax = Math.min(window, ZSTD_MAX_BLOCK);
    this.#checksum = (descriptor & 0x04) !== 0;
    this.#pending.push({
      checksum: this.#checksum,
      endBlock: -1,
      done: false,
      expected: null,
      actual: null,
    });
    this.#frames++;
    this.#feed(headerSize);
    this.#state = 'blockHeader';
    return true;
  }

  protected finish(): void {
    if (this.#state !== 'frame' || this.input.length > 0) {
      throw corrupt('zstd', 'unexpected end of input');
    }
    if (this.#frames === 0) throw corrupt('zstd', 'empty input (no frame)');
    // fzstd holds back frame starts shorter than 18 bytes until told the input is over.
    this.#fzstd.push(new Uint8Array(0), true);
    if (this.#pending.length > 0) throw corrupt('zstd', 'unexpected end of input');
  }
}
