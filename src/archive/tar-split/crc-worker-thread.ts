/**
 * The thread side of crc-worker.ts: CRC-64s of the bodies it is sent in batches, compared with
 * the recorded ones; each batch acknowledged (for the sender's bound), its memory given back, each mismatch reported,
 * each flush answered once everything before it is done.
 */
import { parentPort } from 'node:worker_threads';
import { Crc64 } from './crc64.ts';
import type { FromCrcThread, ToCrcThread } from './crc-worker-messages.ts';

const port = parentPort!;
const sums = new Map<number, Crc64>();
const post = (message: FromCrcThread) => port.postMessage(message);

port.on('message', (message: ToCrcThread) => {
  if (message.type === 'flush') {
    post({ type: 'flushed', token: message.token });
    return;
  }
  let at = 0;
  for (const [body, length, crc] of message.ops) {
    let sum = sums.get(body);
    if (!sum) sums.set(body, (sum = new Crc64()));
    if (length >= 0) {
      sum.update(message.bytes.subarray(at, at + length));
      at += length;
    } else {
      sums.delete(body);
      if (sum.digest().toString('hex') !== crc) post({ type: 'mismatch', body });
    }
  }
  port.postMessage({ type: 'ack', bytes: message.bytes } satisfies FromCrcThread, [
    message.bytes.buffer,
  ]);
});
