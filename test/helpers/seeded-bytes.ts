/** Deterministic pseudo-random bytes (a sha256 chain from a seed), generated in chunks. */
import { createHash } from 'node:crypto';

export function* seededChunks(size: number, seedText: string, chunk = 1 << 20): Generator<Buffer> {
  let block = createHash('sha256').update(seedText).digest();
  for (let left = size; left > 0; left -= chunk) {
    const parts: Buffer[] = [];
    for (let n = 0; n < Math.min(chunk, left); n += block.length) {
      block = createHash('sha256').update(block).digest();
      parts.push(block);
    }
    yield Buffer.concat(parts).subarray(0, Math.min(chunk, left));
  }
}
