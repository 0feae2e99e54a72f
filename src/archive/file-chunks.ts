/**
 * Fast sequential file reading for synchronous consumers (the tar parser and TarSum): two
 * reusable buffers, the next read in flight while the current chunk is processed, no per-chunk
 * allocation. A yielded chunk is valid only until the consumer asks for the next one.
 */
import { open } from 'node:fs/promises';

export async function* readFileChunks(file: string, chunkSize = 1 << 20): AsyncGenerator<Buffer> {
  const handle = await open(file, 'r');
  try {
    const buffers = [Buffer.allocUnsafe(chunkSize), Buffer.allocUnsafe(chunkSize)];
    let turn = 0;
    let pending = handle.read(buffers[turn]!, 0, chunkSize, null);
    for (;;) {
      const { bytesRead } = await pending;
      if (bytesRead === 0) return;
      const current = buffers[turn]!;
      turn ^= 1;
      pending = handle.read(buffers[turn]!, 0, chunkSize, null);
      yield current.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}
