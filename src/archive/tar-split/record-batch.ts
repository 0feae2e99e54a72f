/**
 * tar-split records packed for a trip to another thread: a few typed arrays and one list of
 * strings clone far faster than thousands of small objects, and transfer without a copy. Per
 * record, four numbers in `shape` (type, length: a segment's payload or a file's size, the length
 * of its CRC, position); file names in order in `names`; segment payloads and CRCs back to back
 * in `bytes`.
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

/** Gathers records into batches. */
export class RecordPacker {
  private shape: number[] = [];
  private names: ByteString[] = [];
  private pieces: Buffer[] = [];
  private bytes = 0;

  /** Add `record`; true when the batch is big enough to send. */
  add(record: TarSplitEntry): boolean {
    const bytes = record.type === SEGMENT_ENTRY ? record.payload : record.crc;
    const length = record.type === SEGMENT_ENTRY ? record.payload.length : record.size;
    this.shape.push(record.type, length, bytes.length, record.position);
    if (record.type === FILE_ENTRY) this.names.push(record.name);
    this.pieces.push(bytes);
    this.bytes += bytes.length;
    return this.shape.length >= 4 * BATCH_RECORDS || this.bytes >= BATCH_BYTES;
  }

  get empty(): boolean {
    return this.shape.length === 0;
  }

  /** The batch gathered so far (memory of its own, so it can be transferred); starts the next. */
  take(): RecordBatch {
    const bytes = new Uint8Array(this.bytes);
    let at = 0;
    for (const piece of this.pieces) {
      bytes.set(piece, at);
      at += piece.length;
    }
    const batch = { shape: new Float64Array(this.shape), names: this.names, bytes };
    this.shape = [];
    this.names = [];
    this.pieces = [];
    this.bytes = 0;
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
