/**
 * Reassembling a layer's original tar from its tar-split records and the tree holding its file
 * bodies (spec §2.2, §4.5 step 2), on threads of their own: opening and reading tens of
 * thousands of small files and checking their CRC-64s (assembler-thread.ts) is most of the work,
 * so two threads share it, batch by batch in turn, while this thread reads the records and the
 * consumer hashes and writes the tar. Each thread keeps a few batches ahead of it and a few
 * chunks ahead of the consumer; the parts come back in the records' order. An error in the
 * records, or any a thread meets (a body missing, changed, longer or shorter: see assemble.ts),
 * is thrown in the same code and words. Threads are kept for the next reassembly (unreferenced
 * while idle, so they never hold the process open); a reassembly stopped early ends its threads.
 */
import type { Worker } from 'node:worker_threads';
import { ShaleError, type ErrorCode } from '../../core/errors.ts';
import type { TarSplitEntry } from './entry.ts';
import { News } from './news.ts';
import type { FromAssembler, ToAssembler } from './reassembly-messages.ts';
import { RecordPacker, type RecordBatch } from './record-batch.ts';
import { startThread } from './thread-script.ts';

const THREADS = 2;
const BATCHES_AHEAD = 3;

const idle: Worker[] = [];

/** The end of a batch's part, among a thread's chunks. */
const BATCH_DONE = Symbol('batch done');

class AssemblerThread {
  private readonly worker: Worker;
  private readonly parts: (Buffer | typeof BATCH_DONE)[] = [];
  private batchesAhead = 0;
  private done = false;
  private failure: Error | undefined;
  private readonly news = new News();

  constructor(root: string) {
    this.worker = idle.pop() ?? startThread('assembler-thread');
    this.worker.ref();
    this.worker.on('message', this.onMessage).on('error', this.onStop).on('exit', this.onStop);
    this.post({ type: 'start', root });
  }

  private post(message: ToAssembler, transfer: ArrayBuffer[] = []): void {
    this.worker.postMessage(message, transfer);
  }

  private readonly onMessage = (message: FromAssembler): void => {
    if (message.type === 'chunk') {
      const { buffer, byteOffset, byteLength } = message.bytes;
      this.parts.push(Buffer.from(buffer, byteOffset, byteLength));
    } else if (message.type === 'batch-done') {
      this.batchesAhead--;
      this.parts.push(BATCH_DONE);
    } else if (message.type === 'done') this.done = true;
    else this.fail(new ShaleError(message.code as ErrorCode, message.message));
    this.news.tell();
  };

  private readonly onStop = (err: unknown): void => {
    this.fail(new Error(`a tar-split reassembly thread stopped: ${String(err)}`));
  };

  fail(err: Error): void {
    this.failure ??= err;
    this.news.tell();
  }

  get failed(): Error | undefined {
    return this.failure;
  }

  async send(batch: RecordBatch): Promise<void> {
    while (this.batchesAhead >= BATCHES_AHEAD && !this.failure) await this.news.wait();
    this.batchesAhead++;
    this.post({ type: 'records', batch }, [batch.shape.buffer, batch.bytes.buffer]);
  }

  end(): void {
    this.post({ type: 'end' });
  }

  /** The next chunk of the batch under way; BATCH_DONE at its end, undefined after the last. */
  async next(): Promise<Buffer | typeof BATCH_DONE | undefined> {
    for (;;) {
      if (this.failure) throw this.failure;
      const part = this.parts.shift();
      if (part) return part;
      if (this.done) return undefined;
      await this.news.wait();
    }
  }

  /** A chunk of this thread's was taken; `reusable` is memory it may fill again. */
  taken(reusable: ArrayBuffer | undefined): void {
    this.post({ type: 'taken', ...(reusable && { reusable }) }, reusable ? [reusable] : []);
  }

  /** Keep the thread for the next reassembly when this one ran to its end; else end it. */
  release(): void {
    const reusable = this.done && !this.failure;
    this.fail(new Error('the reassembly was stopped')); // a feed still waiting to send stops
    this.worker.off('message', this.onMessage).off('error', this.onStop).off('exit', this.onStop);
    if (reusable && idle.length < THREADS) {
      this.worker.unref();
      idle.push(this.worker);
    } else void this.worker.terminate();
  }
}

/** Send every record, batch by batch to each thread in turn, then the end to all. */
async function feed(records: AsyncIterable<TarSplitEntry>, threads: AssemblerThread[]) {
  const packer = new RecordPacker();
  let batches = 0;
  const send = () => threads[batches++ % threads.length]!.send(packer.take());
  try {
    for await (const record of records) {
      if (threads.some((thread) => thread.failed)) return;
      if (packer.add(record)) await send();
    }
    if (!packer.empty) await send();
    for (const thread of threads) thread.end();
  } catch (err) {
    for (const thread of threads) thread.fail(err as Error);
  }
}

/**
 * The original tar the records describe, bodies read from the tree at `root`. A chunk's memory
 * is filled again once the chunk after the next is asked for: a consumer keeps a chunk longer by
 * copying it (store ingest's `chunksOutliveNext`: one chunk is written while the next is made).
 */
export async function* reassembleTar(
  records: AsyncIterable<TarSplitEntry>,
  root: string,
): AsyncGenerator<Buffer> {
  const threads = Array.from({ length: THREADS }, () => new AssemblerThread(root));
  try {
    const feeding = feed(records, threads);
    let previous: Buffer | undefined;
    for (let batch = 0; ; batch++) {
      const thread = threads[batch % THREADS]!;
      let part = await thread.next();
      if (part === undefined) break; // no such batch: every part was given
      for (; part !== BATCH_DONE; part = await thread.next()) {
        if (part === undefined) throw new Error('a reassembly thread ended within a batch');
        yield part;
        thread.taken(previous?.buffer as ArrayBuffer | undefined);
        previous = part;
      }
    }
    await feeding;
    for (const thread of threads) {
      if ((await thread.next()) !== undefined)
        throw new Error('a reassembly thread sent more than asked');
    }
  } finally {
    for (const thread of threads) thread.release();
  }
}
