/**
 * Pull-style tar reading: `readTar(source)` yields entries whose bodies are async iterables of
 * views into the source's chunks. A body left unread is skipped when the next entry is asked for.
 * Everything the parser reports from one source chunk is queued at once, so an entry whose body
 * lies inside the chunk already read (most small files) costs no further read: its body is
 * handed over from the queue without waiting on the source, or taken whole and synchronously
 * through `bufferedBody()`. `parseTar(source, handler)` drives the push parser directly, for
 * consumers (like TarSum) that want callbacks and no promises.
 */
import { ShaleError } from '../../core/errors.ts';
import type { TarEntryLocation, TarHeader } from './header.ts';
import { TarParser, type TarParserHandler, type TarParserOptions } from './parser.ts';

export interface TarEntry {
  header: TarHeader;
  location: TarEntryLocation;
  /** The entry's content; readable once, before the next entry is requested. */
  body: AsyncIterable<Buffer>;
  /**
   * The whole content as one Buffer when the reader already holds all of it (a body inside the
   * chunk already read, or an empty one), which counts as reading the body; undefined otherwise,
   * and `body` is still to be read.
   */
  bufferedBody(): Buffer | undefined;
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

/** Read a tar stream entry by entry. */
export function readTar(
  source: ByteSource,
  options?: TarParserOptions,
): AsyncIterableIterator<TarEntry> {
  return new TarReader(source, options);
}

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };
const EMPTY = Buffer.alloc(0);

/**
 * An entry the parser reported, and its body: the body piece the parser has reported and the
 * reader has not yet taken. There is at most one, since the source is read again only when it
 * has been taken, and one source chunk holds one piece of a body.
 */
class QueuedEntry implements TarEntry, AsyncIterable<Buffer>, AsyncIterator<Buffer> {
  private piece: Buffer | undefined;
  /** The parser reported the end of this entry's body. */
  complete = false;
  /** The next entry was requested: the rest of the body is dropped. */
  private skipped = false;
  private taken = false;

  constructor(
    private readonly reader: TarReader,
    readonly header: TarHeader,
    readonly location: TarEntryLocation,
  ) {}

  get body(): AsyncIterable<Buffer> {
    return this;
  }

  add(piece: Buffer): void {
    if (this.skipped) return;
    if (this.piece !== undefined) throw new Error('tar reader out of step: two body pieces');
    this.piece = piece;
  }

  skip(): void {
    this.skipped = true;
    this.piece = undefined;
  }

  [Symbol.asyncIterator](): AsyncIterator<Buffer> {
    this.take();
    return this;
  }

  bufferedBody(): Buffer | undefined {
    if (!this.complete) return undefined;
    this.take();
    const whole = this.piece ?? EMPTY;
    this.piece = undefined;
    return whole;
  }

  private take(): void {
    if (this.taken)
      throw new ShaleError('ERR_INVALID_ARGUMENT', 'a tar entry body can be read only once');
    if (this.skipped)
      throw new ShaleError(
        'ERR_INVALID_ARGUMENT',
        'a tar entry body must be read before the next entry is requested',
      );
    this.taken = true;
  }

  /** The next body piece: at once when the parser has reported it, else after a read. */
  async next(): Promise<IteratorResult<Buffer>> {
    while (this.piece === undefined) {
      if (this.complete || this.skipped) return DONE;
      await this.reader.pull();
    }
    const value = this.piece;
    this.piece = undefined;
    return { done: false, value };
  }
}

/** The reader behind readTar: a TarParser handler queueing entries, pulled by `next()`. */
class TarReader implements AsyncIterableIterator<TarEntry>, TarParserHandler {
  private readonly parser: TarParser;
  private readonly chunks: AsyncIterator<Uint8Array>;
  /** Entries reported and not yet handed out, from `head` on. */
  private readonly queue: QueuedEntry[] = [];
  private head = 0;
  /** The last entry reported whose body has not ended. */
  private open: QueuedEntry | undefined;
  /** The last entry handed out. */
  private current: QueuedEntry | undefined;
  private archiveEnded = false;
  private sourceDone = false;
  private closed = false;
  private failure: Error | undefined;

  constructor(source: ByteSource, options?: TarParserOptions) {
    this.parser = new TarParser(this, options);
    this.chunks = source[Symbol.asyncIterator]();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  entry(header: TarHeader, location: TarEntryLocation): void {
    this.open = new QueuedEntry(this, header, location);
    this.queue.push(this.open);
  }

  data(chunk: Buffer): void {
    this.open!.add(chunk);
  }

  entryEnd(): void {
    this.open!.complete = true;
    this.open = undefined;
  }

  end(): void {
    this.archiveEnded = true;
  }

  /** Feed the parser one more source chunk. A parse error surfaces only after the events before it. */
  async pull(): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    if (this.sourceDone || this.closed)
      throw new ShaleError('ERR_BAD_TAR', 'tar stream ended early');
    const step = await this.chunks.next();
    try {
      if (step.done) {
        this.sourceDone = true;
        this.parser.end();
      } else {
        this.parser.write(asBuffer(step.value));
      }
    } catch (err) {
      this.failure = err instanceof Error ? err : new ShaleError('ERR_BAD_TAR', String(err));
    }
  }

  async next(): Promise<IteratorResult<TarEntry>> {
    if (this.closed) return DONE;
    try {
      const previous = this.current;
      if (previous !== undefined && !previous.complete) {
        previous.skip();
        while (!previous.complete) await this.pull();
      }
      while (this.head === this.queue.length) {
        this.queue.length = 0;
        this.head = 0;
        if (this.archiveEnded) {
          await this.return();
          return DONE;
        }
        await this.pull();
      }
      this.current?.skip();
      this.current = this.queue[this.head++]!;
      return { done: false, value: this.current };
    } catch (err) {
      await this.return();
      throw err;
    }
  }

  /** Stop reading: the source is closed unless it has already ended. */
  async return(): Promise<IteratorReturnResult<undefined>> {
    if (this.closed) return DONE;
    this.closed = true;
    this.current?.skip();
    if (!this.sourceDone) await this.chunks.return?.();
    return DONE;
  }
}
