/** Hashing a small document (manifest, config) with the algorithm of the digest it must match. */
import { createHash } from 'node:crypto';
import { digestOf, parseDigest, type Digest } from '../../core/digest.ts';

/** The digest of `bytes` computed with `expected`'s algorithm (sha256 or sha512). */
export function hashAs(expected: Digest, bytes: Uint8Array): Digest {
  const { algorithm } = parseDigest(expected);
  return digestOf(algorithm, createHash(algorithm).update(bytes).digest('hex'));
}
