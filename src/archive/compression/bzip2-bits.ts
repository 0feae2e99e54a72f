/**
 * The MSB-first bit reader that feeds unbzip2-stream's block decoder from a list of input
 * chunks, with mark/rewind so a block whose bits are not all buffered yet can be retried.
 */
import { corrupt } from './types.ts';

class NeedMoreInput extends Error {}

/** Thrown (one shared instance) when a read runs past the buffered input before its end. */
export const NEED_MORE: Error = new NeedMoreInput('bzip2: more input needed');

const MASK = [0x00, 0x01, 0x03, 0x07, 0x0f, 0x1f, 0x3f, 0x7f, 0xff] as const;

export class Bzip2BitReader {
  #chunks: Uint8Array[] = [];
  #ci = 0; // current chunk
  #pos = 0; // current byte in it
  #bit = 0; // bits of that byte already read (0..7)
  #before = 0; // bytes in the chunks before #ci
  #total = 0; // bytes in #chunks
  #mark = { ci: 0, pos: 0, bit: 0, before: 0 };
  /** Set when no more input will come: running out is then an error, not NEED_MORE. */
  ending = false;

  /** Unread bytes (a partly read byte counts). */
  get available(): number {
    return this.#total - this.#before - this.#pos;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#total += chunk.length;
  }

  /** Remembers the current position for `rewind`. */
  mark(): void {
    this.#mark = { ci: this.#ci, pos: this.#pos, bit: this.#bit, before: this.#before };
  }

  rewind(): void {
    ({ ci: this.#ci, pos: this.#pos, bit: this.#bit, before: this.#before } = this.#mark);
  }

  /** Forgets input before the current position (it will not be re-read). */
  commit(): void {
    if (this.#ci > 0) {
      this.#chunks.splice(0, this.#ci);
      this.#total -= this.#before;
      this.#before = 0;
      this.#ci = 0;
    }
    this.mark();
  }

  /** bits(n): the next n (<= 32) bits as an int; bits(null): skip to a byte boundary. */
  readonly read = (n: number | null): number => {
    if (n === null) {
      if (this.#bit !== 0) {
        this.#bit = 0;
        this.#pos++;
      }
      return 0;
    }
    let result = 0;
    let chunk = this.#chunks[this.#ci];
    let pos = this.#pos;
    let bit = this.#bit;
    while (n > 0) {
      while (chunk === undefined || pos >= chunk.length) {
        if (chunk !== undefined && this.#ci + 1 < this.#chunks.length) {
          this.#before += chunk.length;
          chunk = this.#chunks[++this.#ci];
          pos = 0;
        } else {
          this.#pos = pos;
          this.#bit = bit;
          throw this.ending ? corrupt('bzip2', 'unexpected end of input') : NEED_MORE;
        }
      }
      const byte = chunk[pos]!;
      const left = 8 - bit;
      if (n >= left) {
        result = (result << left) | (byte & MASK[left]!);
        bit = 0;
        pos++;
        n -= left;
      } else {
        result = (result << n) | ((byte >> (left - n)) & MASK[n]!);
        bit += n;
        n = 0;
      }
    }
    this.#pos = pos;
    this.#bit = bit;
    return result;
  };
}
