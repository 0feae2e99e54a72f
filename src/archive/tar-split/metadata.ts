/**
 * Reading and writing a tar-split metadata file (`tar-data.json.gz`, spec §2.2): gzip of one
 * JSON record per line. Reading streams batch by batch (record-batch.ts; lines in the packer's
 * own form are read straight into one, record-scan.ts) with every line bounded; a file entry
 * whose cleaned name was seen before is refused, as tar-split's unpacker refuses duplicates.
 */
import path from 'node:path';
import { pipeline, Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { ShaleError } from '../../core/errors.ts';
import { decompressStream } from '../compression/decompress.ts';
import { encodeEntry, FILE_ENTRY, parseEntry, type TarSplitEntry } from './entry.ts';
import { RecordPacker, unpackRecords, type RecordBatch } from './record-batch.ts';
import { scanRecord } from './record-scan.ts';

export interface ReadTarSplitOptions {
  /**
   * Longest record line accepted, in bytes (default 16 MiB). A segment holds at most one
   * entry's headers, or a 1 MiB piece of what follows the archive, base64-encoded.
   */
  maxLineBytes?: number;
}

const NEWLINE = 0x0a;

/** A file name as tar-split compares names for duplicates (cleaned, without a trailing slash). */
function comparable(name: string): string {
  // most names need no cleaning: no empty, `.` or `..` segment, no trailing slash
  if (!/(^|\/)\.{0,2}(\/|$)/.test(name)) return name;
  return path.posix.normalize(name).replace(/\/$/, '');
}

/** Takes record lines into batches: the packer's own form quickly, any other through the parser. */
class LinePacker {
  private readonly packer = new RecordPacker();
  private readonly seen = new Set<string>();
  private lines = 0;

  get full(): boolean {
    return this.packer.full;
  }

  get empty(): boolean {
    return this.packer.empty;
  }

  take(): RecordBatch {
    return this.packer.take();
  }

  /** Add the record in `text[start, end)`. */
  add(text: Buffer, start: number, end: number): void {
    this.lines++;
    let name = scanRecord(text, start, end, this.packer);
    if (name === undefined) {
      const line = text.toString('utf8', start, end);
      if (line.trim() === '') return;
      const entry = parseEntry(line, `record ${this.lines}`);
      this.packer.add(entry);
      name = entry.type === FILE_ENTRY ? entry.name : null;
    }
    if (name === null) return;
    const cleaned = comparable(name);
    if (this.seen.has(cleaned)) {
      throw new ShaleError(
        'ERR_BAD_RECORD',
        `tar-split metadata: duplicates of file paths not supported (${JSON.stringify(cleaned)})`,
      );
    }
    this.seen.add(cleaned);
  }
}

/**
 * The records of the gzipped tar-split metadata `source`, in order, in batches (record-batch.ts)
 * of a few thousand.
 */
export async function* readTarSplitBatches(
  source: Readable | AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options: ReadTarSplitOptions = {},
): AsyncGenerator<RecordBatch> {
  const max = options.maxLineBytes ?? 16 << 20;
  const tooLong = () =>
    new ShaleError('ERR_LIMIT', `tar-split metadata: a record is longer than ${max} bytes`);
  const text = decompressStream(
    source instanceof Readable ? source : Readable.from(source),
    'gzip',
  ) as AsyncIterable<Buffer> & Readable;
  const packer = new LinePacker();
  let pending: Buffer[] = [];
  let pendingSize = 0;
  try {
    for await (const chunk of text) {
      let start = 0;
      for (let nl = chunk.indexOf(NEWLINE); nl !== -1; nl = chunk.indexOf(NEWLINE, start)) {
        if (pendingSize + nl - start > max) throw tooLong();
        if (pendingSize === 0) packer.add(chunk, start, nl);
        else {
          pending.push(chunk.subarray(start, nl));
          const line = Buffer.concat(pending);
          packer.add(line, 0, line.length);
          pending = [];
          pendingSize = 0;
        }
        start = nl + 1;
        if (packer.full) yield packer.take();
      }
      if (pendingSize + chunk.length - start > max) throw tooLong();
      if (start < chunk.length) {
        pending.push(chunk.subarray(start));
        pendingSize += chunk.length - start;
      }
    }
    if (pendingSize > 0) {
      const line = Buffer.concat(pending);
      packer.add(line, 0, line.length);
    }
    if (!packer.empty) yield packer.take();
  } finally {
    text.destroy();
  }
}

/** The records of the gzipped tar-split metadata `source`, in order. */
export async function* readTarSplit(
  source: Readable | AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options: ReadTarSplitOptions = {},
): AsyncGenerator<TarSplitEntry> {
  for await (const batch of readTarSplitBatches(source, options)) yield* unpackRecords(batch);
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
