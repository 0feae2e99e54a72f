/**
 * xz decoding: the xz-embedded WebAssembly build shipped in xz-decompress, driven synchronously.
 * We use its module but not its XzReadableStream (a web stream with one global lock, so two live
 * xz streams serialise and an abandoned one blocks all others). See XzWasmContext for the layout.
 */
import { createRequire } from 'node:module';
import type XzDecompress from 'xz-decompress';
import { ShaleError } from '../../core/errors.ts';
import type { ByteQueue } from './byte-queue.ts';
import type { OutputLimits } from './limits.ts';
import { PumpDecoder } from './pump-decoder.ts';
import { corrupt } from './types.ts';

/** xz_ret values of xz-embedded (xz.h). */
const XZ_OK = 0;
const XZ_STREAM_END = 1;
const XZ_ERRORS: Record<
  number,
  { code: 'ERR_BAD_COMPRESSION' | 'ERR_UNSUPPORTED' | 'ERR_LIMIT'; what: string }
> = {
  2: { code: 'ERR_UNSUPPORTED', what: 'unsupported integrity check type' },
  3: { code: 'ERR_LIMIT', what: 'decoder out of memory' },
  4: { code: 'ERR_UNSUPPORTED', what: 'needs an LZMA2 dictionary larger than 64 MiB' },
  5: { code: 'ERR_BAD_COMPRESSION', what: 'not an xz stream (bad magic)' },
  6: {
    code: 'ERR_UNSUPPORTED',
    what: 'unsupported options (a SHA-256 integrity check or an unknown filter)',
  },
  7: { code: 'ERR_BAD_COMPRESSION', what: 'compressed data is corrupt' },
  8: { code: 'ERR_BAD_COMPRESSION', what: 'truncated input or trailing garbage' },
};

/** The exports of xz-decompress's WebAssembly module (C side: xz-decompress.c). */
interface XzWasmExports {
  memory: { buffer: ArrayBuffer };
  create_context(): number;
  destroy_context(ctx: number): void;
  supply_input(ctx: number, size: number): void;
  get_next_output(ctx: number): number;
}

/** The statics of XzReadableStream that load the module (not part of its typed API). */
interface XzReadableStreamStatics {
  _getModuleInstance?: () => Promise<void>;
  _moduleInstancePromise?: Promise<void>;
  _moduleInstance?: { exports: Record<string, unknown> };
}

/**
 * One decoder context in wasm memory. The context starts with u32 words: [0] buffer size,
 * then `struct xz_buf`: [1] in, [2] in_pos, [3] in_size, [4] out, [5] out_pos, [6] out_size;
 * `in` and `out` point to two buffers of `buffer size` bytes inside the context.
 */
class XzWasmContext {
  readonly #wasm: XzWasmExports;
  #ptr: number;
  #buffer: ArrayBuffer | null = null;
  #mem8 = new Uint8Array(0);
  #mem32 = new Uint32Array(0);
  readonly bufSize: number;
  readonly #inAddr: number;
  readonly #outAddr: number;

  constructor(wasm: XzWasmExports) {
    this.#wasm = wasm;
    this.#ptr = wasm.create_context();
    if (this.#ptr === 0 || this.#ptr % 4 !== 0) {
      throw new ShaleError('ERR_UNSUPPORTED', 'xz-decompress: could not create a decoder context');
    }
    const words = this.#words();
    this.bufSize = words[0]!;
    this.#inAddr = words[1]!;
    this.#outAddr = words[4]!;
  }

  /** True when the word layout is what this file expects (checked once per process). */
  layoutLooksRight(): boolean {
    const w = this.#words();
    return (
      this.bufSize >= 1024 &&
      w[2] === 0 &&
      w[3] === 0 &&
      w[5] === 0 &&
      w[6] === this.bufSize &&
      this.#inAddr >= this.#ptr + 28 &&
      this.#outAddr >= this.#inAddr + this.bufSize &&
      this.#outAddr + this.bufSize <= this.#wasm.memory.buffer.byteLength
    );
  }

  #words(): Uint32Array {
    const buffer = this.#wasm.memory.buffer;
    if (buffer !== this.#buffer) {
      // memory.grow() detaches the old buffer: re-derive the views
      this.#buffer = buffer;
      this.#mem8 = new Uint8Array(buffer);
      this.#mem32 = new Uint32Array(buffer, this.#ptr, 7);
    }
    return this.#mem32;
  }

  needsInput(): boolean {
    const w = this.#words();
    return w[2] === w[3];
  }

  /** Input handed over but not yet consumed. */
  unconsumed(): number {
    const w = this.#words();
    return w[3]! - w[2]!;
  }

  /** Copies up to one buffer of input from `queue`; an empty supply means end of input. */
  supply(queue: ByteQueue): void {
    const n = Math.min(this.bufSize, queue.length);
    this.#words();
    let at = this.#inAddr;
    queue.consume(n, (piece) => {
      this.#mem8.set(piece, at);
      at += piece.length;
    });
    this.#wasm.supply_input(this.#ptr, n);
  }

  /** Runs the decoder; returns an xz_ret and whatever output it produced (a copy). */
  run(): { ret: number; output: Buffer | null } {
    const ret = this.#wasm.get_next_output(this.#ptr);
    const w = this.#words();
    const n = w[5]!;
    w[5] = 0;
    const output =
      n > 0 ? Buffer.from(this.#mem8.subarray(this.#outAddr, this.#outAddr + n)) : null;
    return { ret, output };
  }

  dispose(): void {
    if (this.#ptr !== 0) this.#wasm.destroy_context(this.#ptr);
    this.#ptr = 0;
  }
}

let wasmPromise: Promise<XzWasmExports> | undefined;
let loadedWasm: XzWasmExports | null = null;

/**
 * Loads (once) and checks the xz WebAssembly module. The package is loaded here, on first use,
 * not at start-up: it pulls in node:stream/web, which most shale commands never need.
 */
export function loadXzWasm(): Promise<XzWasmExports> {
  wasmPromise ??= (async () => {
    const unsupported = (why: string) =>
      new ShaleError('ERR_UNSUPPORTED', `cannot decode xz: xz-decompress ${why}`);
    const xzDecompress = createRequire(import.meta.url)('xz-decompress') as typeof XzDecompress;
    const statics = xzDecompress.XzReadableStream as unknown as XzReadableStreamStatics;
    if (typeof statics._getModuleInstance !== 'function') {
      throw unsupported('no longer exposes its WebAssembly module (version changed?)');
    }
    if (statics._moduleInstance === undefined) {
      statics._moduleInstancePromise ??= statics._getModuleInstance();
      await statics._moduleInstancePromise;
    }
    const exports = statics._moduleInstance?.exports;
    const fns = ['create_context', 'destroy_context', 'supply_input', 'get_next_output'];
    const memory = exports?.memory as { buffer?: unknown } | undefined;
    if (
      exports === undefined ||
      !(memory?.buffer instanceof ArrayBuffer) ||
      fns.some((name) => typeof exports[name] !== 'function')
    ) {
      throw unsupported('has an unexpected WebAssembly interface (version changed?)');
    }
    const wasm = exports as unknown as XzWasmExports;
    const probe = new XzWasmContext(wasm);
    const ok = probe.layoutLooksRight();
    probe.dispose();
    if (!ok) throw unsupported('has an unexpected decoder context layout (version changed?)');
    loadedWasm = wasm;
    return wasm;
  })();
  return wasmPromise;
}

export class XzDecoder extends PumpDecoder {
  #ctx: XzWasmContext | null = null;
  #done = false;
  #idleAtEnd = 0; // decoder calls at end of input that produced nothing

  constructor(limits: OutputLimits) {
    super('xz', limits, loadedWasm === null ? loadXzWasm().then(() => undefined) : undefined);
  }

  protected step(ending: boolean): boolean {
    if (this.#done) {
      if (this.input.length > 0) throw corrupt('xz', 'trailing data after the end of the stream');
      return false;
    }
    this.#ctx ??= new XzWasmContext(loadedWasm!); // set once `ready` (loadXzWasm) resolved
    const ctx = this.#ctx;
    if (ctx.needsInput()) {
      if (this.input.length > 0) ctx.supply(this.input);
      else if (ending)
        ctx.supply(this.input); // zero bytes: tells the decoder the input is over
      else return false;
    }
    const { ret, output } = ctx.run();
    if (output !== null) {
      this.#idleAtEnd = 0;
      this.emitOutput(output);
    } else if (ending && ctx.needsInput() && this.input.length === 0 && ++this.#idleAtEnd > 4) {
      throw corrupt('xz', 'unexpected end of input');
    }
    if (ret === XZ_STREAM_END) {
      this.#done = true;
      const leftover = ctx.unconsumed() + this.input.length;
      this.#release();
      if (leftover > 0) throw corrupt('xz', 'trailing data after the end of the stream');
      return true;
    }
    if (ret !== XZ_OK) {
      const known = XZ_ERRORS[ret];
      if (known === undefined) throw corrupt('xz', `decoder error ${ret}`);
      if (known.code === 'ERR_BAD_COMPRESSION') throw corrupt('xz', known.what);
      throw new ShaleError(known.code, `cannot decode xz stream: ${known.what}`);
    }
    return true;
  }

  protected finish(): void {
    if (!this.#done) throw corrupt('xz', 'unexpected end of input');
  }

  #release(): void {
    this.#ctx?.dispose();
    this.#ctx = null;
  }

  protected override dispose(): void {
    this.#release();
  }
}
