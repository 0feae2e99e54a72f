/**
 * Checking file bodies against the CRC-64s tar-split recorded for them (spec §2.2). A checker is
 * told each body's chunks in order; a mismatch is thrown by `end` (checked in this thread) or by
 * `settle` (checked elsewhere, crc-worker.ts), in both cases as tar-split's words say it.
 */
import { ShaleError } from '../../core/errors.ts';
import { byteStringToDisplay, type ByteString } from '../tar/bytes.ts';
import { Crc64 } from './crc64.ts';

export interface BodyCheck {
  /** The next chunk of the body (a promise when the checker needs the caller to wait). */
  update(chunk: Buffer): void | Promise<void>;
  /** The body is complete. */
  end(): void;
}

export interface BodyChecker {
  /** Start checking the body of `name` against `crc` (8 bytes, big-endian). */
  body(name: ByteString, crc: Buffer): BodyCheck;
  /** Every check has ended; throws the first mismatch not thrown yet. */
  settle(): Promise<void>;
}

export function crcMismatch(name: ByteString): ShaleError {
  return new ShaleError(
    'ERR_DIGEST_MISMATCH',
    `tar-split: file integrity checksum failed for ${JSON.stringify(byteStringToDisplay(name))}`,
  );
}

/** Checks each body as it is read, in this thread. */
export class InThreadChecker implements BodyChecker {
  body(name: ByteString, crc: Buffer): BodyCheck {
    const sum = new Crc64();
    return {
      update: (chunk) => void sum.update(chunk),
      end: () => {
        if (!sum.digest().equals(crc)) throw crcMismatch(name);
      },
    };
  }

  settle(): Promise<void> {
    return Promise.resolve();
  }
}
