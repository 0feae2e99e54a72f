/**
 * The thread side of reassemble.ts: the batches of records it is sent, one after the other, each
 * made into its part of the tar (bodies read from the tree it was given, tree-bodies.ts, and
 * checked here) and handed over chunk by chunk through the ring it was given (chunk-ring.ts),
 * each batch's part followed by a batch end; then `done`, or the error that stopped it.
 */
import { parentPort } from 'node:worker_threads';
import { ShaleError } from '../../core/errors.ts';
import { assembleTar } from './assemble.ts';
import { ChunkRingWriter, RingStopped } from './chunk-ring.ts';
import { News } from './news.ts';
import type { FromAssembler, ToAssembler } from './reassembly-messages.ts';
import { unpackRecords, type RecordBatch } from './record-batch.ts';
import { treeBodies } from './tree-bodies.ts';

const port = parentPort!;
const post = (message: FromAssembler) => port.postMessage(message);

class Job {
  private readonly batches: RecordBatch[] = [];
  private ended = false;
  private readonly news = new News();

  constructor(private readonly ring: ChunkRingWriter) {}

  hear(message: ToAssembler): void {
    if (message.type === 'records') this.batches.push(message.batch);
    else if (message.type === 'end') this.ended = true;
    this.news.tell();
  }

  async run(root: string): Promise<void> {
    const openBody = treeBodies(root);
    const { ring } = this;
    try {
      for (;;) {
        const batch = this.batches.shift();
        if (!batch) {
          if (this.ended) break;
          await this.news.wait();
          continue;
        }
        for (const chunk of assembleTar(unpackRecords(batch), openBody, ring.claim)) {
          ring.publish(chunk);
        }
        ring.endBatch();
      }
      post({ type: 'done' });
    } catch (err) {
      if (err instanceof RingStopped) return;
      const code = err instanceof ShaleError ? err.code : 'ERR_IO';
      post({ type: 'failed', code, message: (err as Error).message });
    }
  }
}

let job: Job | undefined;

port.on('message', (message: ToAssembler) => {
  if (message.type === 'start') {
    job = new Job(new ChunkRingWriter(message.ring));
    void job.run(message.root);
  } else job?.hear(message);
});
