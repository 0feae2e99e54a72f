/**
 * Pull-style tar reading: `readTar(source)` yields entries whose bodies are async iterables of
 * views into the source's chunks. A body left unread is skipped when the next entry is asked for.
 * `parseTar(source, handler)` drives the push parser directly, for consumers (like TarSum) that
 * want callbacks and no per-chunk promise.
 */
import { ShaleError } from '../../core/errors.ts';
import type { TarEntryLocation, TarHeader } from './header.ts';
import { TarParser, type TarParserHandler, type TarParserOptions } from './parser.ts';

export interface TarEntry {
  header: TarHeader;
  location: TarEntryLocation;
  /** The entry's content; readable once, before the next entry is requested. */
  body: AsyncIterable<Buffer>;
}

type ByteSource = AsyncIterable<Uint8Array>;

export function asBuffer(chunk: Uint8Array | string): Buffer {
  if (typeof chunk === 'string') {
    throw new ShaleError('ERR_INVALID_ARGUMENT', 'tar input must be a byte stream, not text');
  }
  return Buffer.isBuffer(chunk)
    ? chunk
    : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/** Feed a whole byte stream through the parser; resolves when the archive has ended. */
export async function parseTar(
  source: ByteSource,
  handler: TarParserHandler,
  options?: TarParserOptions,
): Promise<void> {
  const parser = new TarParser(handler, options);
  for await (const chunk of source) parser.write(asBuffer(chunk));
  parser.end();
}

type Event =
  | { kind: 'entry'; header: TarHeader; location: TarEntryLocation }
  | { kind: 'data'; chunk: Buffer }
  | { kind: 'entryEnd' }
  | { kind: 'end' };

/** Read a tar stream entry by entry. */
export async function* readTar(
  source: ByteSource,
  options?: TarParserOptions,
): AsyncGenerator<TarEntry> {
  const queue: Event[] = [];
  let head = 0;
  const parser = new TarParser(
    {
      entry: (header, location) => queue.push({ kind: 'entry', header, location }),
      data: (chunk) => queue.push({ kind: 'data', chunk }),
      entryEnd: () => queue.push({ kind: 'entryEnd' }),
      end: () => queue.push({ kind: 'end' }),
    },
    options,
  );
  const chunks = source[Symbol.asyncIterator]();
  let sourceDone = false;

  let failure: Error | undefined;

  /** The next parser event; a parse error surfaces only after the events before it. */
  async function next(): Promise<Event> {
    while (head >= queue.length) {
      queue.length = 0;
      head = 0;
      if (failure !== undefined) throw failure;
      if (sourceDone) throw new ShaleError('ERR_BAD_TAR', 'tar stream ended early');
      const step = await chunks.next();
      try {
        if (step.done) {
          sourceDone = true;
          parser.end();
        } else {
          parser.write(asBuffer(step.value));
        }
      } catch (err) {
        failure = err instanceof Error ? err : new ShaleError('ERR_BAD_TAR', String(err));
      }
    }
    return queue[head++]!;
  }

  let inBody = false;
  try {
    for (;;) {
      let event = await next();
      while (inBody && event.kind === 'data') event = await next();
      if (inBody && event.kind === 'entryEnd') {
        inBody = false;
        event = await next();
      }
      if (event.kind === 'end') return;
      if (event.kind !== 'entry') throw new Error(`tar reader out of step: ${event.kind}`);
      inBody = true;
      let bodyTaken = false;
      const body: AsyncIterable<Buffer> = {
        [Symbol.asyncIterator]: async function* () {
          if (bodyTaken)
            throw new ShaleError('ERR_INVALID_ARGUMENT', 'a tar entry body can be read only once');
          bodyTaken = true;
          for (;;) {
            const e = await next();
            if (e.kind === 'data') {
              yield e.chunk;
              continue;
            }
            inBody = false; // entryEnd
            return;
          }
        },
      };
      yield { header: event.header, location: event.location, body };
    }
  } finally {
    if (!sourceDone) await chunks.return?.();
  }
}
