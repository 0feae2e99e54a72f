/**
 * The thread side of write-behind.ts: each applier that uses this thread opens a session (a port
 * and a shared counter); every batch arriving on the port is written (file-batch.ts), its result
 * posted back on the port, and only then the counter raised, so that the applier, waiting on the
 * counter, finds the result there.
 */
import { parentPort, type MessagePort } from 'node:worker_threads';
import { writeFileBatch, type BatchResult, type FileBatch } from './file-batch.ts';

export interface WriterSessionStart {
  port: MessagePort;
  /** [0]: batches written so far in this session. */
  written: Int32Array;
  sameOwner: boolean;
}

parentPort!.on('message', ({ port, written, sameOwner }: WriterSessionStart) => {
  port.on('message', (batch: FileBatch) => {
    let result: BatchResult;
    try {
      result = writeFileBatch(batch, sameOwner);
    } catch (err) {
      result = { inodes: [], warnings: [], failure: { index: 0, message: String(err) } };
    }
    port.postMessage(result);
    Atomics.add(written, 0, 1);
    Atomics.notify(written, 0);
  });
});
