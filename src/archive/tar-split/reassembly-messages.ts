/**
 * The messages between reassemble.ts and an assembler thread (assembler-thread.ts). The thread
 * is told the tree to read bodies from and the ring to hand chunks over in (chunk-ring.ts), then
 * sent batches of records (the sender keeps only a few batches ahead of what the ring shows done),
 * then the end. It ends with `done` or with the error that stopped it, in its code and words.
 */
import type { ChunkRingMemory } from './chunk-ring.ts';
import type { RecordBatch } from './record-batch.ts';

export type ToAssembler =
  | { type: 'start'; root: string; ring: ChunkRingMemory }
  | { type: 'records'; batch: RecordBatch }
  | { type: 'end' };

export type FromAssembler = { type: 'done' } | { type: 'failed'; code: string; message: string };
