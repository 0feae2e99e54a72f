/**
 * The collision keys of a TarSum's entries (spec §1.4): names normalised only to find entries
 * that name the same path. Keys are kept as bytes in one growing buffer, not as a string per
 * entry (200k retained strings cost more in garbage collection than the rest of the bookkeeping),
 * each with a 53-bit hash, so that repeated keys are found by sorting numbers.
 */
import type { TarsumVariant } from './versions.ts';

/** Name normalisation used only to detect collisions. */
export function collisionKey(name: string, variant: TarsumVariant): string {
  if (variant === '2015') {
    let key = name.startsWith('./') ? name.slice(2) : name;
    if (key.endsWith('/')) key = key.slice(0, -1);
    return key;
  }
  const parts: string[] = [];
  for (const part of `/${name}`.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return parts.join('/');
}

/** `column`, or a copy twice as long when it has no room at `index`. */
function withRoom(column: Float64Array, index: number): Float64Array {
  if (index < column.length) return column;
  const grown = new Float64Array(column.length * 2);
  grown.set(column);
  return grown;
}

export class CollisionKeys {
  private count = 0;
  /** Every key's bytes, back to back, in archive order. */
  private bytes = Buffer.allocUnsafe(64 * 1024);
  /** Where each key's bytes end in `bytes`. */
  private ends: Float64Array = new Float64Array(1024);
  private hashes: Float64Array = new Float64Array(1024);

  constructor(private readonly variant: TarsumVariant) {}

  /** Record the next entry's name. */
  add(name: string): void {
    const key = collisionKey(name, this.variant);
    const start = this.count === 0 ? 0 : this.ends[this.count - 1]!;
    if (start + key.length > this.bytes.length) {
      const grown = Buffer.allocUnsafe(Math.max(2 * this.bytes.length, start + key.length));
      this.bytes.copy(grown, 0, 0, start);
      this.bytes = grown;
    }
    // One pass copies the bytes and computes two FNV-1a lanes (53 bits in all).
    const bytes = this.bytes;
    let low = 0x811c9dc5;
    let high = 0x050c5d1f;
    for (let i = 0; i < key.length; i++) {
      const c = key.charCodeAt(i);
      bytes[start + i] = c;
      low = Math.imul(low ^ c, 0x01000193);
      high = Math.imul(high ^ c, 0x01000197);
    }
    this.ends = withRoom(this.ends, this.count);
    this.hashes = withRoom(this.hashes, this.count);
    this.ends[this.count] = start + key.length;
    this.hashes[this.count] = (high & 0x1fffff) * 2 ** 32 + (low >>> 0);
    this.count++;
  }

  keyAt(position: number): string {
    const start = position === 0 ? 0 : this.ends[position - 1]!;
    return this.bytes.toString('latin1', start, this.ends[position]);
  }

  /**
   * The positions whose key may occur more than once: all those whose key hash does, which
   * includes every repeated key (most archives have none).
   */
  suspects(): Set<number> {
    const sorted = this.hashes.slice(0, this.count).sort();
    const repeated = new Set<number>();
    for (let i = 1; i < sorted.length; i++)
      if (sorted[i] === sorted[i - 1]) repeated.add(sorted[i]!);
    const positions = new Set<number>();
    if (repeated.size === 0) return positions;
    for (let position = 0; position < this.count; position++)
      if (repeated.has(this.hashes[position]!)) positions.add(position);
    return positions;
  }
}
