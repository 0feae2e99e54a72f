/**
 * PumpDecoder: the Transform behind the synchronous decoders (zstd, xz, bzip2, none). A subclass
 * decodes in bounded steps; between steps the pump stops while the reader is behind (real
 * backpressure, not just per input chunk), counts bytes for the bomb guard and maps errors.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { ByteQueue } from './byte-queue.ts';
import type { OutputLimits } from './limits.ts';
import { badCompression, type Compression } from './types.ts';

/** Buffer sizes of the decoder streams: big enough that per-chunk costs stay negligible. */
export const DECODER_HIGH_WATER_MARK = 256 * 1024;

export abstract class PumpDecoder extends Transform {
  /** Compressed bytes received and not yet consumed by the subclass. */
  protected readonly input = new ByteQueue();
  protected readonly format: Compression;
  readonly #limits: OutputLimits;
  #ready: Promise<void> | null;
  #waitingForReady = false;
  #callback: TransformCallback | null = null;
  #ending = false;
  #finished = false;
  #blocked = false; // the readable side is full: wait for _read
  #pumping = false;

  /** `ready`, when given, must settle before the first step (e.g. a WebAssembly module). */
  protected constructor(format: Compression, limits: OutputLimits, ready?: Promise<void>) {
    super({
      readableHighWaterMark: DECODER_HIGH_WATER_MARK,
      writableHighWaterMark: DECODER_HIGH_WATER_MARK,
    });
    this.format = format;
    this.#limits = limits;
    this.#ready = ready ?? null;
  }

  /**
   * Does one bounded unit of work (emitting at most a few hundred KiB through `emitOutput`).
   * Returns true if it made progress, false when it needs more input (or is done). `ending`:
   * no more input will come, so a partial unit is an error (throw).
   */
  protected abstract step(ending: boolean): boolean;

  /** Called once at end of input after `step` returned false: throw if the stream is incomplete. */
  protected abstract finish(): void;

  /** Releases decoder resources; called once, on destroy (which also follows a normal end). */
  protected dispose(): void {}

  /** Stores a chunk of compressed input (in `input`, unless a subclass keeps its own). */
  protected receive(chunk: Buffer): void {
    this.input.push(chunk);
  }

  /** Hands decompressed bytes to the reader, enforcing the output limits. */
  protected emitOutput(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.#limits.addOutput(chunk.length);
    if (!this.push(chunk)) this.#blocked = true;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#limits.addInput(chunk.length);
    this.receive(chunk);
    this.#callback = callback;
    this.#pump();
  }

  override _flush(callback: TransformCallback): void {
    this.#ending = true;
    this.#callback = callback;
    this.#pump();
  }

  override _read(size: number): void {
    if (this.#blocked) {
      this.#blocked = false;
      this.#pump();
    }
    super._read(size);
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.#callback = null;
    try {
      this.dispose();
    } catch {
      // nothing useful to do with a failure to free
    }
    callback(err);
  }

  #pump(): void {
    if (this.#ready !== null) {
      if (!this.#waitingForReady) {
        this.#waitingForReady = true;
        this.#ready.then(
          () => {
            this.#ready = null;
            this.#pump();
          },
          (err: unknown) => this.#fail(err),
        );
      }
      return;
    }
    if (this.#pumping || this.destroyed) return; // re-entered from a push: the loop continues
    this.#pumping = true;
    try {
      while (!this.#blocked && !this.destroyed && this.step(this.#ending)) {
        // each step is bounded; loop until input runs out or the reader falls behind
      }
      if (this.#ending && !this.#blocked && !this.#finished && !this.destroyed) {
        this.#finished = true;
        this.finish();
      }
    } catch (err) {
      this.#pumping = false;
      this.#fail(err);
      return;
    }
    this.#pumping = false;
    if (this.#blocked || this.destroyed) return; // _read resumes the pump
    const callback = this.#callback;
    this.#callback = null;
    callback?.();
  }

  #fail(err: unknown): void {
    this.#callback = null;
    this.destroy(badCompression(this.format, err));
  }
}
