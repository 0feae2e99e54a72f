/**
 * The messages between reassemble.ts and an assembler thread (assembler-thread.ts). The thread
 * is told the tree to read bodies from, then sent batches of records; for each it sends back its
 * part of the tar in chunks (each chunk's memory transferred) and then `batch-done` (the sender
 * keeps only a few batches ahead). It is told when each chunk was taken (it keeps only a few
 * ahead), with the memory of an earlier chunk to fill again. It ends with `done` or with the
 * error that stopped it, in its code and words.
 */
import type { RecordBatch } from './record-batch.ts';

export type ToAssembler =
  | { type: 'start'; root: string }
  | { type: 'records'; batch: RecordBatch }
  | { type: 'end' }
  | { type: 'taken'; reusable?: ArrayBuffer };

export type FromAssembler =
  | { type: 'chunk'; bytes: Uint8Array<ArrayBuffer> }
  | { type: 'batch-done' }
  | { type: 'done' }
  | { type: 'failed'; code: string; message: string };
