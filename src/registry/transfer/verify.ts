/**
 * Checking what a source hands over against its descriptor: whole manifests at once, blobs as they
 * stream. A verified blob stream holds its last chunk back until the size and digest match, so a
 * consumer (an upload, a file) never receives the whole of a blob that is not what was asked for.
 */
import { createHash, type Hash } from 'node:crypto';
import { pipeline, Transform, type Readable, type TransformCallback } from 'node:stream';
import { digestOf, parseDigest, type Digest } from '../../core/digest.ts';
import { isShaleError, ShaleError } from '../../core/errors.ts';
import type { Descriptor } from './seam.ts';

function hasherFor(digest: Digest): Hash {
  return createHash(parseDigest(digest).algorithm);
}

/** A blob's bytes that were not what its descriptor says, as the verified stream finds them. */
export function isDamage(err: unknown): boolean {
  return isShaleError(err, 'ERR_DIGEST_MISMATCH') || isShaleError(err, 'ERR_SIZE_MISMATCH');
}

/** The sha256 digest of `bytes`. */
export function sha256Of(bytes: Uint8Array): Digest {
  return digestOf('sha256', createHash('sha256').update(bytes).digest('hex'));
}

/** Refuses `bytes` unless they are `expected`'s size and hash to its digest. */
export function verifyBytes(
  bytes: Uint8Array,
  expected: Pick<Descriptor, 'digest'> & { size?: number },
  from: string,
): void {
  const { digest, size } = expected;
  if (size !== undefined && bytes.length !== size) {
    throw new ShaleError(
      'ERR_SIZE_MISMATCH',
      `${from} sent ${digest} as ${bytes.length} bytes, its descriptor says ${size}`,
    );
  }
  const hex = hasherFor(digest).update(bytes).digest('hex');
  if (hex !== parseDigest(digest).hex) {
    throw new ShaleError(
      'ERR_DIGEST_MISMATCH',
      `${from} sent other content than ${digest} (it hashes to ${parseDigest(digest).algorithm}:${hex}); nothing was written for it`,
    );
  }
}

class VerifyingStream extends Transform {
  /** Absent when only the size is checked here (the destination checks the digest itself). */
  readonly #hash: Hash | undefined;
  #seen = 0;
  #held: Buffer | undefined;

  constructor(
    private readonly descriptor: Descriptor,
    private readonly from: string,
    private readonly onBytes: (seen: number) => void,
    hashHere: boolean,
  ) {
    super({ highWaterMark: 1 << 20 });
    this.#hash = hashHere ? hasherFor(descriptor.digest) : undefined;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.#seen += chunk.length;
    if (this.#seen > this.descriptor.size) return done(this.#sizeError());
    this.#hash?.update(chunk);
    this.onBytes(this.#seen);
    const held = this.#held;
    this.#held = chunk;
    done(null, held);
  }

  override _flush(done: TransformCallback): void {
    const { digest, size } = this.descriptor;
    if (this.#seen !== size) return done(this.#sizeError());
    if (this.#hash === undefined) return done(null, this.#held);
    const hex = this.#hash.digest('hex');
    if (hex !== parseDigest(digest).hex) {
      return done(
        new ShaleError(
          'ERR_DIGEST_MISMATCH',
          `${this.from} sent other content than blob ${digest} (it hashes to ${parseDigest(digest).algorithm}:${hex}); nothing was written for it`,
        ),
      );
    }
    done(null, this.#held);
  }

  #sizeError(): ShaleError {
    const { digest, size } = this.descriptor;
    const said = this.#seen > size ? `more than ${size} bytes` : `${this.#seen} bytes`;
    return new ShaleError(
      'ERR_SIZE_MISMATCH',
      `${this.from} sent ${said} of blob ${digest}, its descriptor says ${size}; nothing was written for it`,
    );
  }
}

/**
 * The bytes of `descriptor` from the stream `open` resolves to, verified as they pass; the
 * returned stream fails (and destroys the source) on a wrong size or digest, before its end.
 * With `hashHere` false only the size is checked: for a destination that refuses a blob whose
 * bytes do not hash to its digest (a registry), when the source can tell afterwards whether its
 * copy was damaged (the store).
 */
export function verifiedStream(
  open: () => Promise<Readable>,
  descriptor: Descriptor,
  from: string,
  onBytes: (seen: number) => void = () => undefined,
  hashHere = true,
): Readable {
  const verifier = new VerifyingStream(descriptor, from, onBytes, hashHere);
  open().then(
    (source) => pipeline(source, verifier, () => undefined),
    (err: unknown) => verifier.destroy(err as Error),
  );
  return verifier;
}
