/**
 * Reassembly of a tar stream from tar-split records (spec §2.2, tar-split's asm.WriteOutputTarStream):
 * segments are written as they are, each file record's body is read from wherever the caller
 * keeps it, and checked: exactly `size` bytes, with the recorded CRC-64. A body that differs is
 * an ERR_DIGEST_MISMATCH / ERR_SIZE_MISMATCH the caller can catch (Docker then falls back to a
 * diff). Streams: headers and small bodies are gathered into chunks of about a megabyte
 * (coalesce.ts); nothing else is held beyond one read chunk.
 */
import { ShaleError } from '../../core/errors.ts';
import { byteStringToDisplay, type ByteString } from '../tar/bytes.ts';
import { coalesce } from './coalesce.ts';
import { InThreadChecker, type BodyChecker } from './body-checker.ts';
import { SEGMENT_ENTRY, type TarSplitEntry } from './entry.ts';

/** A file body: chunks read as they are iterated. */
export type Body = AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

/** The body of the file recorded under `name` (its tar name, bytes as one char each). */
export type BodyOpener = (name: ByteString) => Body | Promise<Body>;

function sizeMismatch(name: ByteString, size: number, more: boolean): ShaleError {
  return new ShaleError(
    'ERR_SIZE_MISMATCH',
    `tar-split: the body of ${JSON.stringify(byteStringToDisplay(name))} is ` +
      `${more ? 'longer' : 'shorter'} than the ${size} bytes recorded`,
  );
}

/** One file body, its length checked here and its CRC-64 by `checker`, chunk by chunk. */
async function* checkedBody(
  name: ByteString,
  size: number,
  crc: Buffer,
  body: Body,
  checker: BodyChecker,
): AsyncGenerator<Buffer> {
  const check = checker.body(name, crc);
  let read = 0;
  for await (const piece of body) {
    read += piece.length;
    if (read > size) throw sizeMismatch(name, size, true);
    const chunk = Buffer.isBuffer(piece) ? piece : Buffer.from(piece);
    await check.update(chunk);
    yield chunk;
  }
  if (read < size) throw sizeMismatch(name, size, false);
  check.end();
}

/** The segments and checked bodies, in order; every check settled before the end. */
async function* pieces(
  records: AsyncIterable<TarSplitEntry>,
  openBody: BodyOpener,
  checker: BodyChecker,
): AsyncGenerator<Buffer> {
  for await (const record of records) {
    if (record.type === SEGMENT_ENTRY) {
      if (record.payload.length > 0) yield record.payload;
    } else if (record.size > 0) {
      const body = await openBody(record.name);
      yield* checkedBody(record.name, record.size, record.crc, body, checker);
    }
  }
  await checker.settle();
}

/**
 * The tar stream the records describe, bodies taken from `openBody` and checked by `checker`
 * (default: in this thread; crc-worker.ts checks on another). A mismatch may surface only when the
 * stream ends, before its last chunk: a consumer commits nothing it has not seen to the end.
 */
export function reassembleTar(
  records: AsyncIterable<TarSplitEntry>,
  openBody: BodyOpener,
  checker: BodyChecker = new InThreadChecker(),
): AsyncGenerator<Buffer> {
  return coalesce(pieces(records, openBody, checker));
}
