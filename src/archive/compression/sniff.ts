/**
 * Magic-number sniffing (Docker pkg/archive DetectCompression): which compression the first bytes
 * of a stream announce. Pure; input shorter than a magic never matches it.
 */
import type { Compression } from './types.ts';

/** How many head bytes `sniffCompression` can use (Docker peeks 10). */
export const SNIFF_BYTES = 10;

const BZIP2_MAGIC = [0x42, 0x5a, 0x68]; // "BZh"
const GZIP_MAGIC = [0x1f, 0x8b, 0x08]; // ID1 ID2 CM=deflate
const XZ_MAGIC = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]; // "\xFD7zXZ\0"
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd]; // 0xFD2FB528 little-endian

/** zstd frame magic, read as a little-endian u32. */
export const ZSTD_FRAME_MAGIC = 0xfd2fb528;
/** A zstd skippable frame's magic is 0x184D2A50..0x184D2A5F (little-endian u32). */
export const ZSTD_SKIPPABLE_MASK = 0xfffffff0;
export const ZSTD_SKIPPABLE_MAGIC = 0x184d2a50;

function startsWith(head: Uint8Array, magic: readonly number[]): boolean {
  if (head.length < magic.length) return false;
  for (let i = 0; i < magic.length; i++) if (head[i] !== magic[i]) return false;
  return true;
}

function isZstd(head: Uint8Array): boolean {
  if (startsWith(head, ZSTD_MAGIC)) return true;
  // A stream may open with skippable frames: magic(4) + u32 LE length; Docker wants 8 bytes.
  if (head.length < 8) return false;
  const magic = (head[0]! | (head[1]! << 8) | (head[2]! << 16) | (head[3]! << 24)) >>> 0;
  return (magic & ZSTD_SKIPPABLE_MASK) >>> 0 === ZSTD_SKIPPABLE_MAGIC;
}

/** The compression announced by the first bytes of a stream; 'none' when nothing matches. */
export function sniffCompression(head: Uint8Array): Compression {
  if (startsWith(head, BZIP2_MAGIC)) return 'bzip2';
  if (startsWith(head, GZIP_MAGIC)) return 'gzip';
  if (startsWith(head, XZ_MAGIC)) return 'xz';
  if (isZstd(head)) return 'zstd';
  return 'none';
}
