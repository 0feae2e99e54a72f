/**
 * gzip decoding with node:zlib (native), multi-member aware. Node's gunzip stops at a zero byte
 * after a member and silently drops everything behind it; we accept only zero padding there and
 * reject any other trailing bytes (a member hidden after zeros included).
 */
import { Transform, type TransformCallback } from 'node:stream';
import zlib from 'node:zlib';
import type { OutputLimits } from './limits.ts';
import { DECODER_HIGH_WATER_MARK } from './pump-decoder.ts';
import { badCompression, corrupt } from './types.ts';

function allZero(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}

/**
 * Relays a zlib Gunzip: input written to it one chunk at a time (so its `bytesWritten` tells how
 * much of our input it used), output pushed on with the Gunzip paused while our reader is behind.
 */
export class GunzipDecoder extends Transform {
  readonly #inner: zlib.Gunzip;
  readonly #limits: OutputLimits;
  #written = 0; // input handed to the Gunzip
  #trailing = false; // the Gunzip has stopped: the rest must be zero padding
  #flushCallback: TransformCallback | null = null;
  #innerEnded = false; // Gunzip ends by itself when it stops early (node pushes null then)

  constructor(limits: OutputLimits) {
    super({
      readableHighWaterMark: DECODER_HIGH_WATER_MARK,
      writableHighWaterMark: DECODER_HIGH_WATER_MARK,
    });
    this.#limits = limits;
    const inner = zlib.createGunzip({ chunkSize: 64 * 1024 });
    this.#inner = inner;
    inner.on('data', (chunk: Buffer) => {
      try {
        this.#limits.addOutput(chunk.length);
      } catch (err) {
        this.destroy(err as Error);
        return;
      }
      if (!this.push(chunk)) inner.pause();
    });
    inner.on('error', (err) => this.destroy(badCompression('gzip', err)));
    inner.on('end', () => {
      this.#innerEnded = true;
      const callback = this.#flushCallback;
      this.#flushCallback = null;
      callback?.();
    });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.#trailing) {
      callback(allZero(chunk) ? null : this.#trailingError());
      return;
    }
    this.#limits.addInput(chunk.length);
    const start = this.#written;
    this.#written += chunk.length;
    this.#inner.write(chunk, (err) => {
      if (err) return; // the 'error' handler destroys us
      const used = this.#inner.bytesWritten;
      if (used < this.#written) {
        // The Gunzip met a zero byte after a member and ignores the rest of the input.
        this.#trailing = true;
        if (!allZero(chunk.subarray(used - start))) {
          callback(this.#trailingError());
          return;
        }
      }
      callback();
    });
  }

  override _flush(callback: TransformCallback): void {
    if (this.#innerEnded) {
      callback();
      return;
    }
    this.#flushCallback = callback;
    this.#inner.end();
  }

  override _read(size: number): void {
    if (this.#inner.isPaused()) this.#inner.resume();
    super._read(size);
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.#flushCallback = null;
    this.#inner.destroy();
    callback(err);
  }

  #trailingError() {
    return corrupt('gzip', 'trailing data after the last member (only zero padding is allowed)');
  }
}
