/**
 * The messages between crc-worker.ts and its thread (crc-worker-thread.ts). Bodies go in batches
 * of about a megabyte: `bytes` holds the chunks back to back, and `ops` says, in order, how many
 * of those bytes belong to which body (`[body, length]`) and where a body ends (`[body, -1, crc]`,
 * the CRC as 16 hex digits). Each batch's memory comes back with its acknowledgement, for the next.
 */
export type BatchOp = [body: number, length: number] | [body: number, end: -1, crc: string];

export type ToCrcThread =
  | { type: 'batch'; bytes: Uint8Array<ArrayBuffer>; ops: BatchOp[] }
  | { type: 'flush'; token: number };

export type FromCrcThread =
  | { type: 'ack'; bytes: Uint8Array<ArrayBuffer> }
  | { type: 'mismatch'; body: number }
  | { type: 'flushed'; token: number };
