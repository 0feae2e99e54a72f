/**
 * The thread side of reassemble.ts: the batches of records it is sent, one after the other, each
 * made into its part of the tar (bodies read from the tree it was given, tree-bodies.ts, and
 * checked here) and sent back chunk by chunk, never more than `CHUNKS_AHEAD` chunks before the
 * other side took them, each batch's part ending with a `batch-done`. Chunks are filled in
 * memory the other side gave back when it can: memory touched before costs far less to read
 * into than fresh pages.
 */
import { parentPort } from 'node:worker_threads';
import { ShaleError } from '../../core/errors.ts';
import { assembleTar, newChunk } from './assemble.ts';
import { News } from './news.ts';
import type { FromAssembler, ToAssembler } from './reassembly-messages.ts';
import { unpackRecords, type RecordBatch } from './record-batch.ts';
import { treeBodies } from './tree-bodies.ts';

const CHUNKS_AHEAD = 8;

const port = parentPort!;
const post = (message: FromAssembler, transfer: ArrayBuffer[] = []) =>
  port.postMessage(message, transfer);

class Job {
  private readonly batches: RecordBatch[] = [];
  private readonly reusable: ArrayBuffer[] = [];
  private ended = false;
  private untaken = 0;
  private readonly news = new News();

  hear(message: ToAssembler): void {
    if (message.type === 'records') this.batches.push(message.batch);
    else if (message.type === 'end') this.ended = true;
    else if (message.type === 'taken') {
      this.untaken--;
      if (message.reusable) this.reusable.push(message.reusable);
    }
    this.news.tell();
  }

  private readonly freshChunk = (): Buffer => {
    const memory = this.reusable.pop();
    return memory ? Buffer.from(memory) : newChunk();
  };

  async run(root: string): Promise<void> {
    const openBody = treeBodies(root);
    try {
      for (;;) {
        const batch = this.batches.shift();
        if (!batch) {
          if (this.ended) break;
          await this.news.wait();
          continue;
        }
        for (const chunk of assembleTar(unpackRecords(batch), openBody, this.freshChunk)) {
          while (this.untaken >= CHUNKS_AHEAD) await this.news.wait();
          this.untaken++;
          // (a chunk has memory of its own: newChunk's is too big for Buffer's pool)
          const buffer = chunk.buffer as ArrayBuffer;
          post({ type: 'chunk', bytes: new Uint8Array(buffer, 0, chunk.byteLength) }, [buffer]);
        }
        post({ type: 'batch-done' });
      }
      post({ type: 'done' });
    } catch (err) {
      const code = err instanceof ShaleError ? err.code : 'ERR_IO';
      post({ type: 'failed', code, message: (err as Error).message });
    }
  }
}

let job: Job | undefined;

port.on('message', (message: ToAssembler) => {
  if (message.type === 'start') {
    job = new Job();
    void job.run(message.root);
  } else job?.hear(message);
});
