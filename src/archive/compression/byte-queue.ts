/**
 * ByteQueue: input chunks waiting to be parsed, read at byte level across chunk boundaries and
 * consumed as views (no copies). Used by the synchronous decoders (zstd framing, xz input).
 */
export class ByteQueue {
  #chunks: Uint8Array[] = [];
  #offset = 0; // read position in #chunks[0]
  #length = 0;

  /** Unread bytes. */
  get length(): number {
    return this.#length;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#length += chunk.length;
  }

  /** The unread byte at index `i` (0 = next); `i` must be < length. */
  byteAt(i: number): number {
    let k = i + this.#offset;
    for (const chunk of this.#chunks) {
      if (k < chunk.length) return chunk[k]!;
      k -= chunk.length;
    }
    throw new RangeError(`ByteQueue.byteAt(${i}) past the end (${this.#length} bytes)`);
  }

  /** Little-endian unsigned integer of `size` (0..8) bytes at index `i` (exact up to 2^53). */
  uintLE(i: number, size: number): number {
    let value = 0;
    for (let b = size - 1; b >= 0; b--) value = value * 256 + this.byteAt(i + b);
    return value;
  }

  /** Removes `n` (<= length) bytes from the front, handing each contiguous piece to `sink`. */
  consume(n: number, sink?: (piece: Uint8Array) => void): void {
    if (n > this.#length) throw new RangeError(`ByteQueue.consume(${n}) past the end`);
    this.#length -= n;
    while (n > 0) {
      const chunk = this.#chunks[0]!;
      const take = Math.min(n, chunk.length - this.#offset);
      sink?.(chunk.subarray(this.#offset, this.#offset + take));
      n -= take;
      this.#offset += take;
      if (this.#offset === chunk.length) {
        this.#chunks.shift();
        this.#offset = 0;
      }
    }
  }
}
