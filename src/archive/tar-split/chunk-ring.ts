/**
 * How an assembler thread hands its part of the tar to reassemble.ts: through memory both share,
 * with no message and no copy per chunk. Two rings: `SLOTS` chunk-sized slots of memory, and a
 * longer ring of items, each either a chunk (its length: its bytes are in the next memory slot)
 * or the end of a batch (no memory). The thread fills the next slot once the reader released it,
 * then publishes it; the reader takes items in order (freeing their place in the item ring at
 * once) and releases the memory of the chunks taken once their consumer is done with them. Every wait is bounded:
 * the thread's looks again each second and gives up once the reader stopped; the reader's
 * also returns at a message (reassemble.ts races it with the thread's messages).
 */

/** Chunk-sized memory slots, and places for items. */
const SLOTS = 8;
const ITEMS = 64;
/**
 * Words of the control array: three counters, each followed by the value a side waiting on it
 * wants (NOBODY when none waits: a side that counts up wakes the other only when that is
 * reached), then whether the reader stopped, then the items.
 */
const PUBLISHED = 0;
const TAKEN = 2;
const RELEASED = 4;
const STOPPED = 6;
const FIRST_ITEM = 7;
const NOBODY = 0x7fffffff;
/** An item that ends a batch. */
export const BATCH_END = -1;
const WAIT_MS = 1000;

/** The memory of one ring, made by the reader and sent to the thread. */
export interface ChunkRingMemory {
  slots: SharedArrayBuffer;
  control: SharedArrayBuffer;
}

export function newChunkRing(chunkBytes: number): ChunkRingMemory {
  const control = new SharedArrayBuffer(4 * (FIRST_ITEM + ITEMS));
  const words = new Int32Array(control);
  for (const counter of [PUBLISHED, TAKEN, RELEASED]) words[counter + 1] = NOBODY;
  return { slots: new SharedArrayBuffer(SLOTS * chunkBytes), control };
}

/** The ring seen from either side: its slots as Buffers, its control words. */
class RingSide {
  protected readonly words: Int32Array;
  protected readonly slots: Buffer[];

  constructor(memory: ChunkRingMemory) {
    this.words = new Int32Array(memory.control);
    const size = memory.slots.byteLength / SLOTS;
    this.slots = Array.from({ length: SLOTS }, (_, i) => Buffer.from(memory.slots, i * size, size));
  }

  /** Set `counter` to `value`, waking the other side if it waits for that much. */
  protected count(counter: number, value: number): void {
    Atomics.store(this.words, counter, value);
    if (value >= Atomics.load(this.words, counter + 1)) Atomics.notify(this.words, counter);
  }
}

/** Thrown to the thread when it waits on a reader that stopped. */
export class RingStopped extends Error {
  constructor() {
    super('the reader of the chunks stopped');
  }
}

/** The thread's side. */
export class ChunkRingWriter extends RingSide {
  private items = 0;
  private chunks = 0;

  /** Wait until `counter` is more than `atLeast`, and then (not to be woken for each step) `more` past it. */
  private waitFor(counter: number, atLeast: number, more: number): void {
    if (Atomics.load(this.words, counter) > atLeast) return;
    const want = atLeast + more;
    for (;;) {
      const value = Atomics.load(this.words, counter);
      if (value >= want) break;
      if (Atomics.load(this.words, STOPPED) !== 0) throw new RingStopped();
      Atomics.store(this.words, counter + 1, want);
      Atomics.wait(this.words, counter, value, WAIT_MS);
    }
    Atomics.store(this.words, counter + 1, NOBODY);
  }

  /**
   * The memory for the next chunk, once the reader released what it held before (when the ring
   * is full, until half of it is free: the reader wakes this side once per few chunks).
   */
  readonly claim = (): Buffer => {
    this.waitFor(RELEASED, this.chunks - SLOTS, SLOTS / 2);
    return this.slots[this.chunks % SLOTS]!;
  };

  private publishItem(value: number): void {
    this.waitFor(TAKEN, this.items - ITEMS, ITEMS / 2);
    this.words[FIRST_ITEM + (this.items % ITEMS)] = value;
    this.count(PUBLISHED, ++this.items);
  }

  /** Publish `chunk`: the start of the memory the last claim gave. */
  publish(chunk: Buffer): void {
    this.chunks++;
    this.publishItem(chunk.length);
  }

  endBatch(): void {
    this.publishItem(BATCH_END);
  }
}

/** The reader's side. */
export class ChunkRingReader extends RingSide {
  private taken = 0;
  private chunksTaken = 0;
  private waiting: Promise<void> | undefined;

  /** The next item: a chunk (its memory held until released), BATCH_END, or undefined if none is published yet. */
  take(): Buffer | typeof BATCH_END | undefined {
    if (this.taken >= Atomics.load(this.words, PUBLISHED)) return undefined;
    const value = this.words[FIRST_ITEM + (this.taken % ITEMS)]!;
    this.count(TAKEN, ++this.taken);
    if (value === BATCH_END) return BATCH_END;
    return this.slots[this.chunksTaken++ % SLOTS]!.subarray(0, value);
  }

  /** The consumer is done with every chunk taken so far: their memory may be filled again. */
  release(): void {
    this.count(RELEASED, this.chunksTaken);
  }

  /** Resolves once more is published (or within a second); one wait at a time. */
  more(): Promise<void> {
    this.waiting ??= this.waitForMore().finally(() => (this.waiting = undefined));
    return this.waiting;
  }

  private async waitForMore(): Promise<void> {
    Atomics.store(this.words, PUBLISHED + 1, this.taken + 1);
    const waited = Atomics.waitAsync(this.words, PUBLISHED, this.taken, WAIT_MS);
    if (waited.async) await waited.value;
    Atomics.store(this.words, PUBLISHED + 1, NOBODY);
  }

  /** Tell the thread to stop waiting. */
  stop(): void {
    Atomics.store(this.words, STOPPED, 1);
    Atomics.notify(this.words, RELEASED);
    Atomics.notify(this.words, TAKEN);
  }
}
