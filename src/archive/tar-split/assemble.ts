/**
 * The tar stream tar-split records describe (spec §2.2, tar-split's asm.WriteOutputTarStream),
 * made in the thread that runs it: segments are copied as they are, each file record's body is
 * read from wherever the caller keeps it and checked: exactly `size` bytes, with the recorded
 * CRC-64. A body that differs is an ERR_DIGEST_MISMATCH / ERR_SIZE_MISMATCH the caller can catch
 * (Docker then falls back to a diff). Headers and bodies are read straight into output
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
export const CHUNK_BYTES = 256 << 10;

/** A file body, read where the assembler wants it. */
export interface BodyReader {
  /** Read up to `length` bytes from `position` of the body into `target` at `offset`: 0 at its end. */
  read(target: Buffer, offset: number, length: number, position: number): number;
  /** Throw what is wrong with the body as a whole, if anything (asked before a mismatch is told). */
  vet(): void;
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

/** `mismatch`, unless the body's reader finds what is wrong with it first. */
function vetted(body: BodyReader, mismatch: ShaleError): ShaleError {
  body.vet();
  return mismatch;
}

/**
 * The tar stream the records describe, bodies taken from `openBody`, in chunks from `freshChunk`
 * (`CHUNK_BYTES` long; asked for only when bytes are to go in: the caller may hand out memory it
 * is done with); the last chunk is cut short.
 */
export function* assembleTar(
  records: Iterable<TarSplitEntry>,
  openBody: BodyOpener,
  freshChunk: () => Buffer,
): Generator<Buffer> {
  let chunk: Buffer | undefined;
  let used = 0;
  /** The chunk to write into; undefined when the last one is full (yield it first). */
  const room = (): Buffer | undefined => {
    if (chunk === undefined) {
      chunk = freshChunk();
      used = 0;
    }
    return used < CHUNK_BYTES ? chunk : undefined;
  };
  const full = (): Buffer => {
    const out = chunk!;
    chunk = undefined;
    return out;
  };
  for (const record of records) {
    if (record.type === SEGMENT_ENTRY) {
      for (let at = 0; at < record.payload.length;) {
        const target = room();
        if (!target) {
          yield full();
          continue;
        }
        const copied = record.payload.copy(target, used, at);
        used += copied;
        at += copied;
      }
    } else if (record.size > 0) {
      const { name, size } = record;
      const sum = new Crc64();
      const body = openBody(name);
      try {
        for (let read = 0; ;) {
          const target = room();
          if (!target) {
            yield full();
            continue;
          }
          // one byte more than what is left: a body that grew shows itself
          const wanted = Math.min(size - read + 1, CHUNK_BYTES - used);
          const got = body.read(target, used, wanted, read);
          if (read + got > size) throw vetted(body, sizeMismatch(name, size, true));
          sum.update(target.subarray(used, used + got));
          used += got;
          read += got;
          if (got === 0 || (read === size && got < wanted)) {
            if (read < size) throw vetted(body, sizeMismatch(name, size, false));
            break;
          }
        }
        if (!sum.digest().equals(record.crc)) throw vetted(body, crcMismatch(name));
      } finally {
        body.close();
      }
    }
  }
  if (chunk !== undefined && used > 0) yield chunk.subarray(0, used);
}
