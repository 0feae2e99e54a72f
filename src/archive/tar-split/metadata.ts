/**
 * Reading and writing a tar-split metadata file (`tar-data.json.gz`, spec §2.2): gzip of one
 * JSON record per line. Reading streams record by record with every line bounded; a file entry
 * whose cleaned name was seen before is refused, as tar-split's unpacker refuses duplicates.
 */
import path from 'node:path';
import { pipeline, Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { ShaleError } from '../../core/errors.ts';
import { decompressStream } from '../compression/decompress.ts';
import { encodeEntry, FILE_ENTRY, parseEntry, type TarSplitEntry } from './entry.ts';

export interface ReadTarSplitOptions {
  /**
   * Longest record line accepted, in bytes (default 16 MiB). A segment holds at most one
   * entry's headers, or a 1 MiB piece of what follows the archive, base64-encoded.
   */
  maxLineBytes?: number;
}

const NEWLINE = 0x0a;

/** The lines of `source`, those each chunk completes at a time, each at most `max` bytes (ERR_LIMIT beyond). */
async function* lines(source: AsyncIterable<Buffer>, max: number): AsyncGenerator<string[]> {
  let pending: Buffer[] = [];
  let pendingSize = 0;
  const tooLong = () =>
    new ShaleError('ERR_LIMIT', `tar-split metadata: a record is longer than ${max} bytes`);
  for await (const chunk of source) {
    const found: string[] = [];
    let start = 0;
    for (let nl = chunk.indexOf(NEWLINE); nl !== -1; nl = chunk.indexOf(NEWLINE, start)) {
      if (pendingSize + nl - start > max) throw tooLong();
      if (pendingSize === 0) found.push(chunk.toString('utf8', start, nl));
      else {
        pending.push(chunk.subarray(start, nl));
        found.push(Buffer.concat(pending).toString('utf8'));
        pending = [];
        pendingSize = 0;
      }
      start = nl + 1;
    }
    yield found;
    if (pendingSize + chunk.length - start > max) throw tooLong();
    if (start < chunk.length) {
      pending.push(chunk.subarray(start));
      pendingSize += chunk.length - start;
    }
  }
  if (pendingSize > 0) yield [Buffer.concat(pending).toString('utf8')];
}

/** A file name as tar-split compares names for duplicates (cleaned, without a trailing slash). */
function comparable(name: string): string {
  // most names need no cleaning: no empty, `.` or `..` segment, no trailing slash
  if (!/(^|\/)\.{0,2}(\/|$)/.test(name)) return name;
  return path.posix.normalize(name).replace(/\/$/, '');
}

/** The records of the gzipped tar-split metadata `source`, in order. */
export async function* readTarSplit(
  source: Readable | AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options: ReadTarSplitOptions = {},
): AsyncGenerator<TarSplitEntry> {
  const text = decompressStream(
    source instanceof Readable ? source : Readable.from(source),
    'gzip',
  ) as AsyncIterable<Buffer> & Readable;
  const seen = new Set<string>();
  let n = 0;
  try {
    for await (const found of lines(text, options.maxLineBytes ?? 16 << 20)) {
      for (const line of found) {
        n++;
        if (line.trim() === '') continue;
        const entry = parseEntry(line, `record ${n}`);
        if (entry.type === FILE_ENTRY) {
          const cleaned = comparable(entry.name);
          if (seen.has(cleaned)) {
            throw new ShaleError(
              'ERR_BAD_RECORD',
              `tar-split metadata: duplicates of file paths not supported (${JSON.stringify(cleaned)})`,
            );
          }
          seen.add(cleaned);
        }
        yield entry;
      }
    }
  } finally {
    text.destroy();
  }
}

/** Gzipped tar-split metadata of `entries`. */
export function writeTarSplit(entries: AsyncIterable<TarSplitEntry>): Readable {
  async function* text(): AsyncGenerator<Buffer> {
    for await (const entry of entries) yield Buffer.from(`${encodeEntry(entry)}\n`);
  }
  const gzip = createGzip();
  pipeline(Readable.from(text()), gzip, () => {
    // an error reaches the reader through `gzip`, which pipeline destroys with it
  });
  return gzip;
}
