/**
 * Disassembly of a tar stream into tar-split records, as tar-split's asm.NewInputTarStream does:
 * every byte that is not a file body (headers, metadata headers, padding, the end-of-archive
 * blocks and anything after them) goes into segment records, and each entry gets a file record
 * with its name, body size and body CRC-64. Reassembling the records with the bodies gives the
 * input back byte for byte. Streams: only headers and padding are held between records.
 */
import { ShaleError } from '../../core/errors.ts';
import { TarParser, type TarParserOptions } from '../tar/parser.ts';
import type { ByteString } from '../tar/bytes.ts';
import { Crc64 } from './crc64.ts';
import { FILE_ENTRY, SEGMENT_ENTRY, type TarSplitEntry } from './entry.ts';

/** Trailing bytes after the archive go out in segments of at most this size, as tar-split does. */
const TRAILING_SEGMENT_BYTES = 1 << 20;

interface OpenBody {
  name: ByteString;
  size: number;
  crc: Crc64;
}

/** The tar-split records of the tar stream `source`. Fails with the tar parser's errors. */
export async function* disassembleTar(
  source: AsyncIterable<Uint8Array>,
  options: TarParserOptions = {},
): AsyncGenerator<TarSplitEntry> {
  const out: TarSplitEntry[] = [];
  const seen = new Set<ByteString>();
  let position = 0;
  let pending: Buffer[] = [];
  let pendingSize = 0;
  let chunk: Buffer = Buffer.alloc(0);
  let chunkStart = 0; // stream offset of chunk[0]
  let taken = 0; // chunk bytes already given to a record or to `pending`
  let body: OpenBody | undefined;

  const keep = (end: number) => {
    if (end > taken) {
      pending.push(Buffer.from(chunk.subarray(taken, end)));
      pendingSize += end - taken;
    }
    taken = Math.max(taken, end);
  };
  const flush = () => {
    if (pendingSize === 0) return;
    out.push({
      type: SEGMENT_ENTRY,
      payload: Buffer.concat(pending, pendingSize),
      position: position++,
    });
    pending = [];
    pendingSize = 0;
  };
  const parser = new TarParser(
    {
      entry(header, location) {
        keep(location.dataOffset - chunkStart);
        flush();
        const cleaned = header.name.replace(/^(\.\/)+|\/+$/g, '');
        if (seen.has(cleaned)) {
          throw new ShaleError(
            'ERR_BAD_TAR',
            `tar-split: duplicates of file paths not supported (${JSON.stringify(cleaned)})`,
          );
        }
        seen.add(cleaned);
        body = { name: header.name, size: 0, crc: new Crc64() };
      },
      data(view) {
        body!.crc.update(view);
        body!.size += view.length;
        taken = view.byteOffset - chunk.byteOffset + view.length;
      },
      entryEnd() {
        const { name, size, crc } = body!;
        const digest = size > 0 ? crc.digest() : Buffer.alloc(0);
        out.push({ type: FILE_ENTRY, name, size, crc: digest, position: position++ });
        body = undefined;
      },
      end() {},
    },
    options,
  );

  for await (const bytes of source) {
    chunk = Buffer.isBuffer(bytes)
      ? bytes
      : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    taken = 0;
    parser.write(chunk);
    keep(chunk.length);
    if (pendingSize >= TRAILING_SEGMENT_BYTES) flush();
    chunkStart += chunk.length;
    yield* out.splice(0);
  }
  parser.end();
  flush();
  yield* out.splice(0);
}
