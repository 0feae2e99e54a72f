/**
 * Write-behind for the applier: small regular files whose names are known to be free are
 * collected into batches (file-batch.ts) and created by writer threads while the applier goes on
 * reading and resolving the next entries, so unpacking many small files uses more than one core.
 * When the threads have as many batches as they may hold, the applier writes the next batch
 * itself rather than wait (results are still taken in the order the batches were made).
 *
 * The applier settles (waits, synchronously, until every file handed over exists) before anything
 * that could see or disturb a file not yet written: a removal, a lookup of a pending name, a
 * hard link, the end of the layer. Waiting blocks the applier's thread on a shared counter, so
 * that no promise is made per batch and nothing it began can go on after it returns. A layer that
 * never fills a batch starts no thread: its files are written on the applier's own thread when it
 * settles, while the threads (if any are busy) write theirs; nor does one run from a bundle that
 * left the thread script out: it writes every file on its own thread.
 */
import { availableParallelism } from 'node:os';
import {
  MessageChannel,
  receiveMessageOnPort,
  type MessagePort,
  type Worker,
} from 'node:worker_threads';
import { ShaleError, isShaleError } from '../../core/errors.ts';
import type { ByteString, TarHeader } from '../tar/index.ts';
import { startThread } from '../thread-script.ts';
import { entryError } from './entry-error.ts';
import {
  FileBatchBuilder,
  writeFileBatch,
  type BatchFailure,
  type BatchResult,
  type FileBatch,
} from './file-batch.ts';
import type { WriterSessionStart } from './writer-thread.ts';

/** Files per batch, unless the apply says otherwise, and bytes after which a batch goes anyway. */
export const FILES_PER_BATCH = 256;
const BATCH_BYTES = 1 << 20;
/** Batches handed to each thread and not yet written, at most. */
const BATCHES_AHEAD = 2;
/** A writer thread that writes no batch for this long is lost. */
const THREAD_SILENCE_MS = 60_000;

/** Writer threads for a machine: one per core beyond the applier's, at most two. */
export const DEFAULT_WRITER_THREADS = Math.min(2, availableParallelism() - 1);

/**
 * A writer allocates one result per batch; the batches themselves arrive as transferred buffers.
 * A small young generation keeps the thread's resident memory small (V8's default lets each
 * thread's new space grow to 16 MiB per semi-space before collecting).
 */
const WRITER_LIMITS = { maxYoungGenerationSizeMb: 4 };

/** Started on first use, shared by every apply in the process, never keeping it alive. */
const threads: (Worker | undefined)[] = [];

/** Writer thread `index`; undefined when its script is missing (a bundle that left it out). */
function writerThread(index: number): Worker | undefined {
  let thread = threads[index];
  if (thread === undefined) {
    try {
      thread = startThread(new URL('./writer-thread', import.meta.url), WRITER_LIMITS);
    } catch (err) {
      if (isShaleError(err, 'ERR_NOT_FOUND')) return undefined;
      throw err;
    }
    thread.unref();
    thread.on('error', () => (threads[index] = undefined));
    threads[index] = thread;
  }
  return thread;
}

/** One applier's channel to one writer thread. */
class WriterSession {
  private readonly port: MessagePort;
  private readonly written = new Int32Array(new SharedArrayBuffer(4));
  private received = 0;

  constructor(thread: Worker, sameOwner: boolean) {
    const { port1, port2 } = new MessageChannel();
    const start: WriterSessionStart = { port: port2, written: this.written, sameOwner };
    thread.postMessage(start, [port2]);
    this.port = port1;
  }

  send(batch: FileBatch): void {
    this.port.postMessage(batch, [batch.bytes, batch.fields.buffer as ArrayBuffer]);
  }

  /** Whether the oldest batch sent and not yet received is written. */
  ready(): boolean {
    return Atomics.load(this.written, 0) > this.received;
  }

  /** The result of the oldest batch sent and not yet received, waiting for it. */
  receive(): BatchResult {
    let heard = Date.now();
    for (let count; (count = Atomics.load(this.written, 0)) <= this.received;) {
      if (Atomics.wait(this.written, 0, count, 1000) !== 'timed-out') heard = Date.now();
      else if (Date.now() - heard > THREAD_SILENCE_MS) {
        throw new ShaleError('ERR_IO', 'a file writer thread stopped answering');
      }
    }
    this.received++;
    return receiveMessageOnPort(this.port)!.message as BatchResult;
  }

  close(): void {
    this.port.close();
  }
}

export interface WriteBehindOptions {
  /** Writer threads (0: every file on the applier's thread). */
  threads: number;
  filesPerBatch: number;
  sameOwner: boolean;
  /** Told of every batch written, in order: the inodes created, the warnings. */
  onWritten(result: BatchResult): void;
}

export class WriteBehind {
  private readonly batch: FileBatchBuilder;
  private readonly sessions: WriterSession[] = [];
  /** Batches handed over, oldest first: on a thread, or written here already (`result`). */
  private readonly inFlight: {
    session?: WriterSession;
    result?: BatchResult;
    names: ByteString[];
    entries: string[];
  }[] = [];
  /** The tar names of the files in the batch being filled, for errors. */
  private entries: string[] = [];
  /** Names handed over and not yet known to be written. */
  private readonly pending = new Set<ByteString>();
  private nextSession = 0;
  private failure: Error | undefined;

  constructor(private readonly options: WriteBehindOptions) {
    this.batch = new FileBatchBuilder(options.filesPerBatch);
  }

  /** Whether `name` (a path inside the root) was handed over and may not exist yet. */
  has(name: ByteString): boolean {
    return this.pending.has(name);
  }

  /** Create the regular file `path` (named `name` inside the root) with `body`, later. */
  add(path: Buffer, name: ByteString, header: TarHeader, body: Buffer): void {
    this.batch.add(path, name, header, body);
    this.entries.push(header.name);
    this.pending.add(name);
    if (this.batch.files >= this.options.filesPerBatch || this.batch.byteLength >= BATCH_BYTES) {
      this.toThread();
    }
    this.throwFailure();
  }

  /** Every file handed over exists; throws the first failure. */
  settle(): void {
    if (this.pending.size === 0) return this.throwFailure();
    if (this.batch.files > 0) this.writeHere();
    while (this.inFlight.length > 0) this.receiveOldest();
    this.throwFailure();
  }

  /** Wait for whatever is still being written (a failure already thrown or not) and let go. */
  close(): void {
    try {
      this.settle();
    } catch {
      // the apply is failing already, or will report it: what matters is that nothing is left running
    } finally {
      for (const session of this.sessions) session.close();
    }
  }

  private toThread(): void {
    if (this.options.threads === 0) return this.writeHere();
    while (this.inFlight[0]?.result ?? this.inFlight[0]?.session?.ready()) this.receiveOldest();
    const room = this.options.threads * BATCHES_AHEAD;
    // Batches written here that pile up behind a stalled thread's: wait for it (or its silence).
    while (this.inFlight.length >= 2 * room) this.receiveOldest();
    if (this.inFlight.length >= room) return this.writeInTurn();
    const index = this.nextSession++ % this.options.threads;
    if (this.sessions[index] === undefined) {
      const thread = writerThread(index);
      if (thread === undefined) return this.writeHere(); // no script: all on this thread
      this.sessions[index] = new WriterSession(thread, this.options.sameOwner);
    }
    const session = this.sessions[index];
    const batch = this.batch.take();
    session.send(batch);
    this.inFlight.push({ session, names: batch.names, entries: this.takeEntries() });
  }

  private receiveOldest(): void {
    const { session, result, names, entries } = this.inFlight[0]!;
    const received = result ?? session!.receive();
    this.inFlight.shift();
    this.collect(names, entries, received);
  }

  /** The batch being filled, written on this thread. */
  private writeHere(): void {
    const batch = this.batch.take();
    this.collect(batch.names, this.takeEntries(), writeFileBatch(batch, this.options.sameOwner));
  }

  /** The batch being filled, written on this thread, its result taken after the older ones'. */
  private writeInTurn(): void {
    const batch = this.batch.take();
    const result = writeFileBatch(batch, this.options.sameOwner);
    this.inFlight.push({ result, names: batch.names, entries: this.takeEntries() });
  }

  private takeEntries(): string[] {
    const entries = this.entries;
    this.entries = [];
    return entries;
  }

  private collect(names: ByteString[], entries: string[], result: BatchResult): void {
    for (const name of names) this.pending.delete(name);
    this.options.onWritten(result);
    if (result.failure !== undefined && this.failure === undefined) {
      this.failure = entryError(
        systemError(result.failure),
        entries[result.failure.index]!,
      ) as Error;
    }
  }

  private throwFailure(): void {
    if (this.failure !== undefined) throw this.failure;
  }
}

/** A failure reported by a thread as the system error it was there. */
function systemError(failure: BatchFailure): Error {
  return Object.assign(new Error(failure.message), {
    ...(failure.code !== undefined && { code: failure.code }),
    ...(failure.syscall !== undefined && { syscall: failure.syscall }),
  });
}
