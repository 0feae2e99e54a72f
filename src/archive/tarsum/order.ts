/**
 * The per-entry sums of a TarSum and the order in which they are combined: sorted by sum, except
 * that entries whose names collide keep their archive order (spec §1.4). Upstream's comparator
 * is only consistent when every colliding pair is adjacent in sum order; anything else depends
 * on Go's sort internals, so it is refused instead of guessed.
 *
 * Sums are kept as raw digest bytes in one growing table (no object or string per entry) and
 * sorted by a numeric prefix; comparing raw bytes orders them exactly as their hex text.
 */
import { ShaleError } from '../../core/errors.ts';
import { CollisionKeys } from './keys.ts';
import type { TarsumVariant } from './versions.ts';

/** Bits of a float64 that hold integers exactly. */
const EXACT_BITS = 53;
/** Bytes of a digest read for its sort key (48 bits). */
const PREFIX_BYTES = 6;
const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');

export class EntrySums {
  private count = 0;
  /** Each entry's digest, `digestSize` bytes each, in archive order. */
  private table: Uint8Array;
  /** Each entry's collision key, in archive order. */
  private readonly keys: CollisionKeys;

  constructor(
    readonly digestSize: number,
    variant: TarsumVariant,
  ) {
    this.table = new Uint8Array(digestSize * 4096);
    this.keys = new CollisionKeys(variant);
  }

  /** Record the next entry's name and digest (bytes, or a latin1 string of them). */
  add(name: string, digest: string | Buffer): void {
    const size = this.digestSize;
    const offset = this.count * size;
    if (offset + size > this.table.length) {
      const grown = new Uint8Array(this.table.length * 2);
      grown.set(this.table);
      this.table = grown;
    }
    // A plain Uint8Array and a loop: much cheaper than Buffer methods for 32 bytes.
    const table = this.table;
    if (typeof digest === 'string')
      for (let i = 0; i < size; i++) table[offset + i] = digest.charCodeAt(i);
    else table.set(digest.subarray(0, size), offset);
    this.keys.add(name);
    this.count++;
  }

  /**
   * The sums as hex text (ASCII bytes) in combining order, about `pieceSize` bytes at a time.
   * Each piece is reused for the next: use it before asking for another.
   */
  *hexInOrder(pieceSize: number): Generator<Buffer> {
    const table = this.table;
    const hexSize = 2 * this.digestSize;
    const piece = Buffer.allocUnsafe(Math.max(hexSize, pieceSize - (pieceSize % hexSize)));
    let filled = 0;
    for (const position of this.order()) {
      if (filled === piece.length) {
        yield piece;
        filled = 0;
      }
      const end = (position + 1) * this.digestSize;
      for (let i = position * this.digestSize; i < end; i++) {
        piece[filled++] = HEX_DIGITS[table[i]! >> 4]!;
        piece[filled++] = HEX_DIGITS[table[i]! & 15]!;
      }
    }
    if (filled > 0) yield piece.subarray(0, filled);
  }

  /** Archive positions in combining order. */
  private order(): Uint32Array {
    const order = this.sortedBySum();
    const suspects = this.keys.suspects();
    if (suspects.size > 0) this.keepCollisionsInArchiveOrder(order, suspects);
    return order;
  }

  /**
   * Positions sorted by digest, ties by position (a stable sort): each position is packed with
   * its digest's leading bits into one float64, so a native numeric sort does most of the work;
   * runs that share those bits are then sorted by whole digests.
   */
  private sortedBySum(): Uint32Array {
    const n = this.count;
    const size = this.digestSize;
    const positionBits = Math.max(1, Math.ceil(Math.log2(n)));
    const prefixBytes = Math.min(PREFIX_BYTES, size);
    const prefixBits = Math.min(8 * prefixBytes, EXACT_BITS - positionBits);
    const shift = 2 ** positionBits;
    const drop = 2 ** (8 * prefixBytes - prefixBits);
    const packed = new Float64Array(n);
    for (let position = 0; position < n; position++) {
      let prefix = 0;
      for (let i = position * size; i < position * size + prefixBytes; i++)
        prefix = prefix * 256 + this.table[i]!;
      packed[position] = Math.floor(prefix / drop) * shift + position;
    }
    packed.sort();
    const order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[i] = packed[i]! % shift;
    let runStart = 0;
    for (let i = 1; i <= n; i++) {
      if (i < n && Math.floor(packed[i]! / shift) === Math.floor(packed[runStart]! / shift))
        continue;
      if (i - runStart > 1) {
        const run = Array.from(order.subarray(runStart, i)).sort(
          (a, b) => this.compareDigests(a, b) || a - b,
        );
        order.set(run, runStart);
      }
      runStart = i;
    }
    return order;
  }

  private compareDigests(a: number, b: number): number {
    const size = this.digestSize;
    for (let i = 0; i < size; i++) {
      const difference = this.table[a * size + i]! - this.table[b * size + i]!;
      if (difference !== 0) return difference;
    }
    return 0;
  }

  /** Swap each colliding pair into archive order, or refuse (see the header comment). */
  private keepCollisionsInArchiveOrder(order: Uint32Array, suspects: Set<number>): void {
    // Each suspect key with its indexes in `order`, in order of first occurrence there.
    const indexes = new Map<string, number[]>();
    for (let index = 0; index < order.length; index++) {
      const position = order[index]!;
      if (!suspects.has(position)) continue;
      const key = this.keys.keyAt(position);
      const list = indexes.get(key);
      if (list) list.push(index);
      else indexes.set(key, [index]);
    }
    for (const [key, list] of indexes) {
      if (list.length === 1) continue; // its hash collided with another key's
      if (list.length > 2) {
        throw new ShaleError(
          'ERR_UNSUPPORTED',
          `tarsum: path ${JSON.stringify(key)} occurs ${list.length} times; its order is undefined upstream`,
        );
      }
      const [i, j] = list as [number, number];
      const [first, second] = [order[i]!, order[j]!];
      if (first < second) continue;
      if (j !== i + 1 && this.compareDigests(first, second) !== 0) {
        throw new ShaleError(
          'ERR_UNSUPPORTED',
          `tarsum: duplicate entries for ${JSON.stringify(key)} interleave with others; their order is undefined upstream`,
        );
      }
      order[i] = second;
      order[j] = first;
    }
  }
}
