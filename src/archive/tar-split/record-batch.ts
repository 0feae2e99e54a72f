/**
 * tar-split records packed for a trip to another thread: a few typed arrays and one list of
 * strings clone far faster than thousands of small objects, and transfer without a copy. Per
 * record, four numbers in `shape` (type, length: a segment's payload or a file's size, the length
 * of its CRC, position); file names in order in `names`; segment payloads and CRCs back to back
 * in `bytes`. A record is added whole (add) or, by record-scan.ts, its bytes decoded straight
 * into the batch first (decodeBase64) and then committed (commit).
 */
import type { ByteString } from '../tar/bytes.ts';
import { FILE_ENTRY, SEGMENT_ENTRY, type TarSplitEntry } from './entry.ts';

export interface RecordBatch {
  shape: Float64Array<ArrayBuffer>;
  names: ByteString[];
  bytes: Uint8Array<ArrayBuffer>;
}

/** Records in a batch before it is sent, and bytes. */
const BATCH_RECORDS = 4096;
const BATCH_BYTES = 256 << 10;

const EQUALS = 0x3d;

/** Gathers records into batches. */
export class RecordPacker {
  private shape = new Float64Array(4 * BATCH_RECORDS);
  private records = 0;
  private names: ByteString[] = [];
  private bytes = Buffer.allocUnsafeSlow(BATCH_BYTES);
  private used = 0;

  /** True when the batch is big enough to send. */
  get full(): boolean {
    return this.records === BATCH_RECORDS || this.used >= BATCH_BYTES;
  }

  get empty(): boolean {
    return this.records === 0;
  }

  /** Add `record`. */
  add(record: TarSplitEntry): void {
    const piece = record.type === SEGMENT_ENTRY ? record.payload : record.crc;
    this.makeRoom(piece.length);
    piece.copy(this.bytes, this.used);
    if (record.type === SEGMENT_ENTRY)
      this.commit(SEGMENT_ENTRY, piece.length, piece.length, record.position);
    else this.commit(FILE_ENTRY, record.size, piece.length, record.position, record.name);
  }

  /**
   * Decode `text[start, end)` as standard padded base64 (Go's StdEncoding) where the next
   * record's bytes go; their count, or undefined when it is not that. Nothing is added until
   * commit: a record given up on leaves the batch as it was.
   */
  decodeBase64(text: Buffer, start: number, end: number): number | undefined {
    const length = end - start;
    if (length % 4 !== 0) return undefined;
    const padding = length === 0 || text[end - 1] !== EQUALS ? 0 : text[end - 2] === EQUALS ? 2 : 1;
    const count = (length / 4) * 3 - padding;
    const value = text.toString('latin1', start, end);
    // Node's decoder takes the URL alphabet too, and skips what is in neither (so decodes short)
    if (value.includes('-') || value.includes('_')) return undefined;
    this.makeRoom(count);
    return this.bytes.write(value, this.used, count, 'base64') === count ? count : undefined;
  }

  /** Add a record whose `byteCount` bytes were just decoded (a file's `name` with it). */
  commit(type: number, length: number, byteCount: number, position: number, name?: ByteString) {
    const at = 4 * this.records++;
    this.shape[at] = type;
    this.shape[at + 1] = length;
    this.shape[at + 2] = byteCount;
    this.shape[at + 3] = position;
    this.used += byteCount;
    if (name !== undefined) this.names.push(name);
  }

  private makeRoom(count: number): void {
    if (this.used + count <= this.bytes.length) return;
    const bigger = Buffer.allocUnsafeSlow(Math.max(2 * this.bytes.length, this.used + count));
    this.bytes.copy(bigger, 0, 0, this.used);
    this.bytes = bigger;
  }

  /** The batch gathered so far (memory of its own, so it can be transferred); starts the next. */
  take(): RecordBatch {
    const batch = {
      shape: new Float64Array(this.shape.buffer, 0, 4 * this.records),
      names: this.names,
      bytes: new Uint8Array(this.bytes.buffer, 0, this.used),
    };
    this.shape = new Float64Array(4 * BATCH_RECORDS);
    this.records = 0;
    this.names = [];
    this.bytes = Buffer.allocUnsafeSlow(BATCH_BYTES);
    this.used = 0;
    return batch;
  }
}

/** The records of `batch`, in order (payloads and CRCs are views of its bytes). */
export function* unpackRecords(batch: RecordBatch): Generator<TarSplitEntry> {
  const { shape, names, bytes } = batch;
  let at = 0;
  let name = 0;
  for (let i = 0; i < shape.length; i += 4) {
    const type = shape[i];
    const length = shape[i + 1]!;
    const byteCount = shape[i + 2]!;
    const position = shape[i + 3]!;
    const piece = Buffer.from(bytes.buffer, bytes.byteOffset + at, byteCount);
    at += byteCount;
    if (type === SEGMENT_ENTRY) yield { type, payload: piece, position };
    else yield { type: FILE_ENTRY, name: names[name++]!, size: length, crc: piece, position };
  }
}
