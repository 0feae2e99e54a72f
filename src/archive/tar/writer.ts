/**
 * Streaming tar writer: entries in, a ustar/PAX byte stream out, with backpressure. Bodies are
 * streamed (never gathered in memory) and must be exactly `size` bytes long.
 */
import { PassThrough, type Readable } from 'node:stream';
import { ShaleError } from '../../core/errors.ts';
import { drained } from '../drained.ts';
import { BLOCK_SIZE } from './block.ts';
import { encodeHeader } from './encode.ts';
import { isHeaderOnlyType, TypeFlag, type TarHeaderInit } from './header.ts';

export type EntryBody = Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

const ZEROS = Buffer.alloc(BLOCK_SIZE * 2);

export class TarWriter {
  /** The archive bytes; pipe or iterate it while adding entries. */
  readonly stream: Readable;
  private readonly out: PassThrough;
  private busy = false;
  private finished = false;

  constructor(options: { highWaterMark?: number } = {}) {
    this.out = new PassThrough({ highWaterMark: options.highWaterMark ?? 1 << 20 });
    this.stream = this.out;
  }

  /** Append one entry. Regular files need a body of exactly `header.size` bytes. */
  async add(header: TarHeaderInit, body?: EntryBody): Promise<void> {
    if (this.busy || this.finished) {
      throw new ShaleError(
        'ERR_INVALID_ARGUMENT',
        this.finished ? 'tar writer already finished' : 'await add() before adding the next entry',
      );
    }
    this.busy = true;
    try {
      const typeflag = header.typeflag ?? TypeFlag.regular;
      const size = header.size ?? (body instanceof Uint8Array ? body.length : 0);
      if (isHeaderOnlyType(typeflag) && size !== 0) {
        throw new ShaleError(
          'ERR_INVALID_ARGUMENT',
          `tar entry ${JSON.stringify(header.name)} of type ${typeflag} cannot have content`,
        );
      }
      await this.write(encodeHeader({ ...header, typeflag, size }));
      let written = 0;
      if (body instanceof Uint8Array) {
        written = body.length;
        if (written !== size) throw this.sizeError(header.name, size, written);
        if (written > 0) await this.write(body);
      } else if (body) {
        for await (const chunk of body) {
          written += chunk.length;
          if (written > size) throw this.sizeError(header.name, size, written);
          await this.write(chunk);
        }
        if (written !== size) throw this.sizeError(header.name, size, written);
      } else if (size !== 0) {
        throw this.sizeError(header.name, size, 0);
      }
      const pad = (BLOCK_SIZE - (size % BLOCK_SIZE)) % BLOCK_SIZE;
      if (pad > 0) await this.write(ZEROS.subarray(0, pad));
    } catch (err) {
      this.out.destroy(err as Error);
      throw err;
    } finally {
      this.busy = false;
    }
  }

  /** Write the two zero blocks that end the archive and close the stream. */
  async finish(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    await this.write(ZEROS);
    this.out.end();
  }

  private async write(bytes: Uint8Array): Promise<void> {
    if (this.out.destroyed)
      throw new ShaleError('ERR_INVALID_ARGUMENT', 'tar output stream was closed');
    if (!this.out.write(bytes)) {
      await drained(this.out);
    }
  }

  private sizeError(name: string, expected: number, got: number): ShaleError {
    return new ShaleError(
      'ERR_INVALID_ARGUMENT',
      `tar entry ${JSON.stringify(name)} declared ${expected} bytes but its body has ${got}`,
    );
  }
}
