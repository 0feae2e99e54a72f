/**
 * Compression for writing layers: gzip through node:zlib, zstd through the optional native
 * zstd-napi (loaded on first use; ERR_UNSUPPORTED when it is not installed or does not load).
 */
import type { Transform } from 'node:stream';
import zlib from 'node:zlib';
import { ShaleError } from '../../core/errors.ts';
import type { CompressOptions } from './types.ts';

/** The part of zstd-napi we use. */
interface ZstdNapi {
  CompressStream: new (parameters?: {
    compressionLevel?: number;
    checksumFlag?: boolean;
  }) => Transform;
}

// A variable specifier keeps TypeScript from requiring the optional package at type-check time.
const ZSTD_NAPI = 'zstd-napi';
let zstdNapi: Promise<ZstdNapi | null> | undefined;

function loadZstdNapi(): Promise<ZstdNapi | null> {
  zstdNapi ??= (async () => {
    try {
      const mod = (await import(ZSTD_NAPI)) as Partial<ZstdNapi> & { default?: Partial<ZstdNapi> };
      const CompressStream = mod.CompressStream ?? mod.default?.CompressStream;
      return typeof CompressStream === 'function' ? { CompressStream } : null;
    } catch {
      return null; // not installed, or its native binding failed to load
    }
  })();
  return zstdNapi;
}

/** True when zstd compression is possible here (zstd-napi is installed and loads). */
export async function zstdCompressionAvailable(): Promise<boolean> {
  return (await loadZstdNapi()) !== null;
}

function checkLevel(level: number, min: number, max: number, format: string): number {
  if (!Number.isInteger(level) || level < min || level > max) {
    throw new ShaleError(
      'ERR_INVALID_ARGUMENT',
      `${format} compression level must be an integer from ${min} to ${max}, got ${level}`,
    );
  }
  return level;
}

/**
 * A Transform that compresses what is written to it. Always async (a Promise<Transform>, even
 * for gzip) because zstd has to load its native module first: gzip via node:zlib (level -1..9,
 * default 6), zstd via zstd-napi (level -131072..22, default 3, with a content checksum). Rejects with ERR_UNSUPPORTED
 * when zstd is asked for and zstd-napi is missing, ERR_INVALID_ARGUMENT on a bad level.
 */
export async function compressStream(
  compression: 'gzip' | 'zstd',
  options: CompressOptions = {},
): Promise<Transform> {
  if (compression === 'gzip') {
    const level = checkLevel(options.level ?? 6, -1, 9, 'gzip');
    return zlib.createGzip({ level, chunkSize: 64 * 1024 });
  }
  if (compression === 'zstd') {
    const level = checkLevel(options.level ?? 3, -131072, 22, 'zstd');
    const napi = await loadZstdNapi();
    if (napi === null) {
      throw new ShaleError(
        'ERR_UNSUPPORTED',
        'zstd compression needs the optional package zstd-napi, which is not installed or ' +
          'failed to load (npm install zstd-napi); zstd decompression works without it',
      );
    }
    // with a content checksum, as the zstd tool and Go's klauspost/compress write by default
    return new napi.CompressStream({ compressionLevel: level, checksumFlag: true });
  }
  throw new ShaleError(
    'ERR_INVALID_ARGUMENT',
    `cannot compress to ${JSON.stringify(compression)}: only gzip and zstd are supported`,
  );
}
