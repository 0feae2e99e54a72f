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
import { CHUNK_BYTES } from './assemble.ts';
import { BATCH_END, ChunkRingReader, newChunkRing } from './chunk-ring.ts';
import { News } from './news.ts';
import type { FromAssembler, ToAssembler } from './reassembly-messages.ts';
import type { RecordBatch } from './record-batch.ts';
import { startThread } from '../thread-script.ts';

const THREADS = 2;
const BATCHES_AHEAD = 3;

const idle: Worker[] = [];

class AssemblerThread {
  private readonly worker: Worker;
  private readonly ring = newChunkRing(CHUNK_BYTES);
  readonly chunks = new ChunkRingReader(this.ring);
  private batchesAhead = 0;
  private done = false;
  private failure: Error | undefined;
  private readonly news = new News();

  constructor(root: string) {
    this.worker = idle.pop() ?? startThread(new URL('./assembler-thread', import.meta.url));
    this.worker.ref();
    this.worker.on('message', this.onMessage).on('error', this.onStop).on('exit', this.onStop);
    this.post({ type: 'start', root, ring: this.ring });
  }

  private post(message: ToAssembler, transfer: ArrayBuffer[] = []): void {
    this.worker.postMessage(message, transfer);
  }

  private readonly onMessage = (message: FromAssembler): void => {
    if (message.type === 'done') this.done = true;
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

  /** The next chunk of the batch under way; BATCH_END at its end, undefined after the last. */
  async next(): Promise<Buffer | typeof BATCH_END | undefined> {
    for (;;) {
      if (this.failure) throw this.failure;
      const item = this.chunks.take();
      if (item === BATCH_END) {
        this.batchesAhead--;
        this.news.tell();
      }
      if (item !== undefined) return item;
      // (the thread publishes everything before it says it is done)
      if (this.done) return undefined;
      await Promise.race([this.chunks.more(), this.news.wait()]);
    }
  }

  /** Keep the thread for the next reassembly when this one ran to its end; else end it. */
  release(): void {
    const reusable = this.done && !this.failure;
    this.fail(new Error('the reassembly was stopped')); // a feed still waiting to send stops
    this.chunks.stop(); // a thread still waiting for memory stops
    this.worker.off('message', this.onMessage).off('error', this.onStop).off('exit', this.onStop);
    if (reusable && idle.length < THREADS) {
      this.worker.unref();
      idle.push(this.worker);
    } else void this.worker.terminate();
  }
}

/** Send every batch, to each thread in turn, then the end to all. */
async function feed(batches: AsyncIterable<RecordBatch>, threads: AssemblerThread[]) {
  let sent = 0;
  try {
    for await (const batch of batches) {
      if (threads.some((thread) => thread.failed)) return;
      await threads[sent++ % threads.length]!.send(batch);
    }
    for (const thread of threads) thread.end();
  } catch (err) {
    for (const thread of threads) thread.fail(err as Error);
  }
}

/**
 * The original tar the record batches describe (readTarSplitBatches), bodies read from the tree
 * at `root`. A chunk's memory (shared with the thread that made it, chunk-ring.ts) is filled
 * again once the next chunk is asked for: a consumer that keeps a chunk longer copies it.
 */
export async function* reassembleTar(
  batches: AsyncIterable<RecordBatch>,
  root: string,
): AsyncGenerator<Buffer> {
  const threads = Array.from({ length: THREADS }, () => new AssemblerThread(root));
  try {
    const feeding = feed(batches, threads);
    for (let batch = 0; ; batch++) {
      const thread = threads[batch % THREADS]!;
      let part = await thread.next();
      if (part === undefined) break; // no such batch: every part was given
      for (; part !== BATCH_END; part = await thread.next()) {
        if (part === undefined) throw new Error('a reassembly thread ended within a batch');
        yield part;
        thread.chunks.release();
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
