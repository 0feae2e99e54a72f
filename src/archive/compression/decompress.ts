/**
 * decompressStream / autoDecompress: pick the decoder for a compression, pipe the source into it
 * and return the decoder as the output stream (errors from either side end up on it).
 */
import { pipeline, type Readable } from 'node:stream';
import { ShaleError } from '../../core/errors.ts';
import { Bzip2Decoder } from './bzip2.ts';
import { GunzipDecoder } from './gzip.ts';
import { OutputLimits, withDefaults } from './limits.ts';
import { peekCompression } from './peek.ts';
import { PumpDecoder } from './pump-decoder.ts';
import { COMPRESSIONS, type Compression, type DecompressOptions } from './types.ts';
import { XzDecoder } from './xz.ts';
import { ZstdDecoder } from './zstd.ts';

/** 'none': the bytes as they are, through the same output limits. */
class IdentityDecoder extends PumpDecoder {
  constructor(limits: OutputLimits) {
    super('none', limits);
  }

  protected step(): boolean {
    const n = this.input.length;
    if (n === 0) return false;
    this.input.consume(n, (piece) => {
      this.emitOutput(
        Buffer.isBuffer(piece)
          ? piece
          : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength),
      );
    });
    return true;
  }

  protected finish(): void {}
}

function createDecoder(
  compression: Compression,
  limits: OutputLimits,
): Readable & NodeJS.WritableStream {
  switch (compression) {
    case 'gzip':
      return new GunzipDecoder(limits);
    case 'zstd':
      return new ZstdDecoder(limits);
    case 'xz':
      return new XzDecoder(limits);
    case 'bzip2':
      return new Bzip2Decoder(limits);
    case 'none':
      return new IdentityDecoder(limits);
  }
}

/**
 * The decompressed bytes of `source` as a Node Readable: streaming, with bounded memory (each
 * decoder works in steps of at most a few hundred KiB and waits while the reader is behind).
 * Corrupt or truncated input, and trailing garbage, make the stream error with
 * ShaleError('ERR_BAD_COMPRESSION', 'corrupt <format> stream: …'); the limits in `options`, and
 * the default ones for those it leaves unset (limits.ts), make it error with ERR_LIMIT. Errors
 * of `source` itself come out unchanged. Destroying the returned stream destroys `source`.
 *
 * Concatenated streams are decoded whole (multi-member gzip, several zstd frames, xz streams,
 * bzip2 streams). After the last one only zero bytes are accepted, and only for gzip (as gzip(1)
 * does) and xz (stream padding, in multiples of 4); zstd content checksums are verified.
 */
export function decompressStream(
  source: Readable,
  compression: Compression,
  options: DecompressOptions = {},
): Readable {
  if (!COMPRESSIONS.includes(compression)) {
    throw new ShaleError(
      'ERR_INVALID_ARGUMENT',
      `unknown compression ${JSON.stringify(compression)}`,
    );
  }
  const limits = new OutputLimits(compression, withDefaults(options));
  const decoder = createDecoder(compression, limits);
  pipeline(source, decoder, () => {
    // errors reach the consumer through `decoder`, which pipeline destroys with them
  });
  return decoder;
}

/** Sniffs the compression of `source` (see peekCompression) and decompresses it. */
export async function autoDecompress(
  source: Readable | AsyncIterable<Uint8Array>,
  options: DecompressOptions = {},
): Promise<{ compression: Compression; stream: Readable }> {
  const peeked = await peekCompression(source);
  return {
    compression: peeked.compression,
    stream: decompressStream(peeked.stream, peeked.compression, options),
  };
}
