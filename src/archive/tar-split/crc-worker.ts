/**
 * A BodyChecker whose CRC-64s run on a worker thread, so that checking a tar's bodies (the
 * costliest part of reassembling one) runs on another core beside reading them and the consumer's
 * hashing and writing. Chunks are copied into batches of about a megabyte (a message per file
 * would cost more than its CRC), transferred, at most `MAX_OUTSTANDING` bytes ahead of the
 * thread, which gives each batch's memory back for a later one (fresh memory costs more to touch
 * than the copy); mismatches are thrown by `settle`. One thread is kept for the next checker (unreferenced
 * while idle, so it never holds the process open).
 */
import type { Worker } from 'node:worker_threads';
import type { ByteString } from '../tar/bytes.ts';
import { crcMismatch, type BodyCheck, type BodyChecker } from './body-checker.ts';
import type { BatchOp, FromCrcThread, ToCrcThread } from './crc-worker-messages.ts';
import { startThread } from './thread-script.ts';

/** How far the copies sent may run ahead of the thread's checking. */
const MAX_OUTSTANDING = 16 << 20;
/** The bytes a batch carries. */
const BATCH_BYTES = 1 << 20;

let idle: Worker | undefined;

export class WorkerChecker implements BodyChecker {
  private readonly worker: Worker;
  private readonly names = new Map<number, ByteString>();
  private readonly mismatched: number[] = [];
  private bodies = 0;
  private outstanding = 0;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;
  private flushed: (() => void) | undefined;
  private readonly spare: Uint8Array<ArrayBuffer>[] = [];
  private batch = new Uint8Array(BATCH_BYTES);
  private used = 0;
  private ops: BatchOp[] = [];

  constructor() {
    this.worker = idle ?? startThread('crc-worker-thread');
    idle = undefined;
    this.worker.ref();
    this.worker
      .on('message', this.onMessage)
      .on('error', this.onFailure)
      .on('exit', this.onFailure);
  }

  private readonly onMessage = (message: FromCrcThread): void => {
    if (message.type === 'ack') {
      this.outstanding -= message.bytes.byteLength;
      this.spare.push(new Uint8Array(message.bytes.buffer));
    } else if (message.type === 'mismatch') this.mismatched.push(message.body);
    else this.flushed?.();
    this.wake?.();
  };

  private readonly onFailure = (err: unknown): void => {
    this.failure ??= new Error(`the tar-split CRC thread stopped: ${String(err)}`);
    this.wake?.();
    this.flushed?.();
  };

  private post(message: ToCrcThread, transfer: ArrayBuffer[] = []): void {
    this.worker.postMessage(message, transfer);
  }

  /** Send the batch gathered so far. */
  private send(): void {
    if (this.ops.length === 0) return;
    const bytes = this.batch.subarray(0, this.used);
    this.outstanding += this.used;
    this.post({ type: 'batch', bytes, ops: this.ops }, [bytes.buffer]);
    this.batch = this.spare.pop() ?? new Uint8Array(BATCH_BYTES);
    this.used = 0;
    this.ops = [];
  }

  /** Copy `chunk` into batches, waiting first while the thread is too far behind. */
  private async add(body: number, chunk: Buffer): Promise<void> {
    for (let at = 0; at < chunk.byteLength;) {
      while (this.outstanding > MAX_OUTSTANDING && !this.failure)
        await new Promise<void>((resolve) => (this.wake = resolve));
      if (this.failure) throw this.failure;
      const length = Math.min(chunk.byteLength - at, BATCH_BYTES - this.used);
      this.batch.set(chunk.subarray(at, at + length), this.used);
      this.used += length;
      this.ops.push([body, length]);
      at += length;
      if (this.used === BATCH_BYTES) this.send();
    }
  }

  body(name: ByteString, crc: Buffer): BodyCheck {
    const body = ++this.bodies;
    this.names.set(body, name);
    return {
      update: (chunk) => this.add(body, chunk),
      end: () => void this.ops.push([body, -1, crc.toString('hex')]),
    };
  }

  async settle(): Promise<void> {
    try {
      if (!this.failure) {
        this.send();
        const done = new Promise<void>((resolve) => (this.flushed = resolve));
        this.post({ type: 'flush', token: this.bodies });
        await done;
      }
      if (this.failure) throw this.failure;
      const first = this.mismatched[0];
      if (first !== undefined) throw crcMismatch(this.names.get(first)!);
    } finally {
      this.release();
    }
  }

  /** Give the thread back for the next checker, or end it when it failed. */
  release(): void {
    this.worker
      .off('message', this.onMessage)
      .off('error', this.onFailure)
      .off('exit', this.onFailure);
    if (this.failure || idle) void this.worker.terminate();
    else {
      this.worker.unref();
      idle = this.worker;
    }
  }
}
