/**
 * peekCompression: read just enough of a stream to sniff its compression (up to 10 bytes, or
 * the whole stream if shorter), then hand back a stream that still yields every byte.
 */
import { Readable } from 'node:stream';
import { ShaleError } from '../../core/errors.ts';
import { SNIFF_BYTES, sniffCompression } from './sniff.ts';
import type { Compression } from './types.ts';

type Source = AsyncIterable<Uint8Array> | NodeJS.ReadableStream;

function iteratorOf(source: Source): AsyncIterator<unknown> {
  if (typeof (source as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator] === 'function') {
    return (source as AsyncIterable<unknown>)[Symbol.asyncIterator]();
  }
  // an old-style stream (no async iterator): wrap it in a modern Readable
  return new Readable().wrap(source as NodeJS.ReadableStream)[Symbol.asyncIterator]();
}

function asBytes(chunk: unknown): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  throw new ShaleError(
    'ERR_INVALID_ARGUMENT',
    `compressed streams must yield bytes, got ${typeof chunk === 'string' ? 'a string (setEncoding?)' : typeof chunk}`,
  );
}

/**
 * Waits for up to 10 bytes of `source` (or its end), sniffs them, and returns the compression
 * with a Readable that yields ALL bytes of `source`, the peeked ones included. Destroying that
 * Readable stops (returns) the source's iterator, which destroys a Node stream source.
 */
export async function peekCompression(
  source: Source,
): Promise<{ compression: Compression; stream: Readable }> {
  const iterator = iteratorOf(source);
  const head: Uint8Array[] = [];
  let headBytes = 0;
  let done = false;
  try {
    while (headBytes < SNIFF_BYTES) {
      const next = await iterator.next();
      if (next.done === true) {
        done = true;
        break;
      }
      const chunk = asBytes(next.value);
      head.push(chunk);
      headBytes += chunk.length;
    }
  } catch (err) {
    await iterator.return?.();
    throw err;
  }
  const first = head.length === 1 ? head[0]! : Buffer.concat(head, headBytes);
  const compression = sniffCompression(first.subarray(0, SNIFF_BYTES));

  async function* replay(): AsyncGenerator<Uint8Array> {
    let finished = done;
    try {
      for (const chunk of head) if (chunk.length > 0) yield chunk;
      head.length = 0;
      while (!finished) {
        const next = await iterator.next();
        if (next.done === true) {
          finished = true;
          break;
        }
        const chunk = asBytes(next.value);
        if (chunk.length > 0) yield chunk;
      }
    } finally {
      if (!finished) await iterator.return?.();
    }
  }
  return { compression, stream: Readable.from(replay(), { objectMode: false }) };
}
