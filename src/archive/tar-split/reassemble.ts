/**
 * Reassembly of a tar stream from tar-split records (spec §2.2, tar-split's asm.WriteOutputTarStream):
 * segments are written as they are, each file record's body is read from wherever the caller
 * keeps it, and checked: exactly `size` bytes, with the recorded CRC-64. A body that differs is
 * an ERR_DIGEST_MISMATCH / ERR_SIZE_MISMATCH the caller can catch (Docker then falls back to a
 * diff). Streams: headers and bodies are read straight into fresh output chunks of 256 KiB
 * (a layer is mostly headers and small bodies, and a consumer writing each piece would make a
 * system call for each; chunks of a megabyte made the writes of a 1 GiB layer cost the kernel
 * twice the system time); nothing else is held.
 */
import { ShaleError } from '../../core/errors.ts';
import { byteStringToDisplay, type ByteString } from '../tar/bytes.ts';
import { InThreadChecker, type BodyChecker } from './body-checker.ts';
import { SEGMENT_ENTRY, type TarSplitEntry } from './entry.ts';

/** The size of an output chunk. */
const CHUNK_BYTES = 256 << 10;

/** A file body, read where the reassembler wants it. */
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

const freshChunk = () => Buffer.allocUnsafe(CHUNK_BYTES);

/**
 * The tar stream the records describe, bodies taken from `openBody` and checked by `checker`
 * (default: in this thread; crc-worker.ts checks on another). A mismatch may surface only when the
 * stream ends, before its last chunk: a consumer commits nothing it has not seen to the end.
 */
export async function* reassembleTar(
  records: AsyncIterable<TarSplitEntry>,
  openBody: BodyOpener,
  checker: BodyChecker = new InThreadChecker(),
): AsyncGenerator<Buffer> {
  let chunk = freshChunk();
  let used = 0;
  const full = () => {
    const out = chunk;
    chunk = freshChunk();
    used = 0;
    return out;
  };
  for await (const record of records) {
    if (record.type === SEGMENT_ENTRY) {
      for (let at = 0; at < record.payload.length;) {
        if (used === CHUNK_BYTES) yield full();
        const copied = record.payload.copy(chunk, used, at);
        used += copied;
        at += copied;
      }
    } else if (record.size > 0) {
      const { name, size } = record;
      const check = checker.body(name, record.crc);
      const body = openBody(name);
      try {
        for (let read = 0; ;) {
          if (used === CHUNK_BYTES) yield full();
          // one byte more than what is left: a body that grew shows itself
          const wanted = Math.min(size - read + 1, CHUNK_BYTES - used);
          const got = body.read(chunk, used, wanted, read);
          if (read + got > size) throw sizeMismatch(name, size, true);
          const waiting = got > 0 ? check.update(chunk.subarray(used, used + got)) : undefined;
          used += got;
          read += got;
          if (waiting) await waiting;
          if (got === 0 || (read === size && got < wanted)) {
            if (read < size) throw sizeMismatch(name, size, false);
            break;
          }
        }
      } finally {
        body.close();
      }
      check.end();
    }
  }
  await checker.settle();
  if (used > 0) yield chunk.subarray(0, used);
}
