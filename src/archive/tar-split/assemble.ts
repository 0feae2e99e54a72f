/**
 * The tar stream tar-split records describe (spec §2.2, tar-split's asm.WriteOutputTarStream),
 * made in the thread that runs it: segments are copied as they are, each file record's body is
 * read from wherever the caller keeps it and checked: exactly `size` bytes, with the recorded
 * CRC-64. A body that differs is an ERR_DIGEST_MISMATCH / ERR_SIZE_MISMATCH the caller can catch
 * (Docker then falls back to a diff). Headers and bodies are read straight into fresh output
 * chunks of 256 KiB (a layer is mostly headers and small bodies, and a consumer writing each piece
 * would make a system call for each; chunks of a megabyte made the writes of a 1 GiB layer cost
 * the kernel twice the system time); nothing else is held. reassemble.ts runs this on threads,
 * a batch of records at a time.
 */
import { ShaleError } from '../../core/errors.ts';
import { byteStringToDisplay, type ByteString } from '../tar/bytes.ts';
import { Crc64 } from './crc64.ts';
import { SEGMENT_ENTRY, type TarSplitEntry } from './entry.ts';

/** The size of an output chunk. */
const CHUNK_BYTES = 256 << 10;

/** A file body, read where the assembler wants it. */
export interface BodyReader {
  /** Read up to `length` bytes from `position` of the body into `target` at `offset`: 0 at its end. */
  read(target: Buffer, offset: number, length: number, position: number): number;
  close(): void;
}

/** The body of the file recorded under `name` (its tar name, bytes as one char each). */
export type BodyOpener = (name: ByteString) => BodyReader;

function sizeMismatch(name: ByteString, size: number, more: boolean): ShaleError {
  return new ShaleError(
    'ERR_SIZE_MISMATCH',
    `tar-split: the body of ${JSON.stringify(byteStringToDisplay(name))} is ` +
      `${more ? 'longer' : 'shorter'} than the ${size} bytes recorded`,
  );
}

function crcMismatch(name: ByteString): ShaleError {
  return new ShaleError(
    'ERR_DIGEST_MISMATCH',
    `tar-split: file integrity checksum failed for ${JSON.stringify(byteStringToDisplay(name))}`,
  );
}

/** A chunk for the output: memory of its own (too big for Buffer's pool), `CHUNK_BYTES` long. */
export const newChunk = (): Buffer => Buffer.allocUnsafe(CHUNK_BYTES);

/**
 * The tar stream the records describe, bodies taken from `openBody`, in chunks from `freshChunk`
 * (the caller may give back the memory of chunks it is done with); the last chunk is cut short.
 */
export function* assembleTar(
  records: Iterable<TarSplitEntry>,
  openBody: BodyOpener,
  freshChunk: () => Buffer = newChunk,
): Generator<Buffer> {
  let chunk = freshChunk();
  let used = 0;
  const full = () => {
    const out = chunk;
    chunk = freshChunk();
    used = 0;
    return out;
  };
  for (const record of records) {
    if (record.type === SEGMENT_ENTRY) {
      for (let at = 0; at < record.payload.length;) {
        if (used === CHUNK_BYTES) yield full();
        const copied = record.payload.copy(chunk, used, at);
        used += copied;
        at += copied;
      }
    } else if (record.size > 0) {
      const { name, size } = record;
      const sum = new Crc64();
      const body = openBody(name);
      try {
        for (let read = 0; ;) {
          if (used === CHUNK_BYTES) yield full();
          // one byte more than what is left: a body that grew shows itself
          const wanted = Math.min(size - read + 1, CHUNK_BYTES - used);
          const got = body.read(chunk, used, wanted, read);
          if (read + got > size) throw sizeMismatch(name, size, true);
          sum.update(chunk.subarray(used, used + got));
          used += got;
          read += got;
          if (got === 0 || (read === size && got < wanted)) {
            if (read < size) throw sizeMismatch(name, size, false);
            break;
          }
        }
      } finally {
        body.close();
      }
      if (!sum.digest().equals(record.crc)) throw crcMismatch(name);
    }
  }
  if (used > 0) yield chunk.subarray(0, used);
}
