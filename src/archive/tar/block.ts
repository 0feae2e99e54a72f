/**
 * One 512-byte header block: field offsets, checksum verification, format detection and decoding
 * into raw fields (before PAX/GNU records are applied), following Go's archive/tar reader.
 */
import { ShaleError } from '../../core/errors.ts';
import { cString, type ByteString } from './bytes.ts';
import { parseNumeric, parseOctal } from './numbers.ts';
import { isDevice, type TarHeader } from './header.ts';

export const BLOCK_SIZE = 512;

/** [offset, length] of each field. */
export const Field = {
  name: [0, 100],
  mode: [100, 8],
  uid: [108, 8],
  gid: [116, 8],
  size: [124, 12],
  mtime: [136, 12],
  chksum: [148, 8],
  typeflag: [156, 1],
  linkname: [157, 100],
  magic: [257, 6],
  version: [263, 2],
  uname: [265, 32],
  gname: [297, 32],
  devmajor: [329, 8],
  devminor: [337, 8],
  prefix: [345, 155],
  starPrefix: [345, 131],
  starAtime: [476, 12],
  starCtime: [488, 12],
  starTrailer: [508, 4],
  gnuAtime: [345, 12],
  gnuCtime: [357, 12],
} as const satisfies Record<string, readonly [number, number]>;

export type FieldName = keyof typeof Field;

export function field(block: Uint8Array, name: FieldName): Uint8Array {
  const [offset, length] = Field[name];
  return block.subarray(offset, offset + length);
}

/** A numeric field, read in place. */
function numberAt(block: Uint8Array, name: FieldName, what: string): number {
  const [offset, length] = Field[name];
  return parseNumeric(block, what, offset, offset + length);
}

/** A NUL-terminated text field, read in place. */
function textAt(block: Uint8Array, name: FieldName): ByteString {
  const [offset, length] = Field[name];
  return cString(block, offset, offset + length);
}

export function isZeroBlock(block: Uint8Array): boolean {
  for (let i = 0; i < BLOCK_SIZE; i++) if (block[i] !== 0) return false;
  return true;
}

/**
 * The header checksum as writers compute it: the unsigned sum of the block's bytes with the
 * checksum field counted as eight spaces. `signed` reads the bytes as signed instead (some old
 * writers did; Go accepts either).
 */
export function checksum(block: Uint8Array, signed = false): number {
  const [chksum, chksumLength] = Field.chksum;
  const { sum, high } =
    block.byteOffset % 4 === 0 ? sumsByWord(block) : sumsByByte(block, chksum, chksumLength);
  const total = sum + chksumLength * 0x20;
  return signed ? total - 256 * high : total;
}

/** The sum of the bytes outside the checksum field, and how many are over 127 (signed, each counts 256 less). */
function sumsByByte(block: Uint8Array, chksum: number, chksumLength: number) {
  let sum = 0;
  let high = 0;
  for (let i = 0; i < chksum; i++) {
    sum += block[i]!;
    high += block[i]! >> 7;
  }
  for (let i = chksum + chksumLength; i < BLOCK_SIZE; i++) {
    sum += block[i]!;
    high += block[i]! >> 7;
  }
  return { sum, high };
}

/** The words (4 bytes each) the checksum field fills: 148–155. */
const CHKSUM_WORDS = [Field.chksum[0] / 4, Field.chksum[0] / 4 + 1];

/**
 * sumsByByte four bytes at a time, for a block that starts on a word: each word's bytes are
 * summed in two 16-bit lanes (at most 126 × 510, so no lane overflows), its high bits in four
 * 8-bit lanes.
 */
function sumsByWord(block: Uint8Array) {
  const words = new Uint32Array(block.buffer, block.byteOffset, BLOCK_SIZE / 4);
  let lanes = 0;
  let highs = 0;
  for (let i = 0; i < words.length; i++) {
    if (i === CHKSUM_WORDS[0] || i === CHKSUM_WORDS[1]) continue;
    const word = words[i]!;
    lanes += (word & 0x00ff00ff) + ((word >>> 8) & 0x00ff00ff);
    highs += (word >>> 7) & 0x01010101;
  }
  const sum = (lanes & 0xffff) + (lanes >>> 16);
  const high = (highs & 0xff) + ((highs >>> 8) & 0xff) + ((highs >>> 16) & 0xff) + (highs >>> 24);
  return { sum, high };
}

const MAGIC_USTAR = Buffer.from('ustar\0', 'latin1');
const MAGIC_GNU = Buffer.from('ustar ', 'latin1');
const VERSION_GNU = Buffer.from(' \0', 'latin1');
const TRAILER_STAR = Buffer.from('tar\0', 'latin1');

/** True when the bytes at `offset` in `block` equal `expected`. */
function bytesAt(block: Uint8Array, offset: number, expected: Uint8Array): boolean {
  for (let i = 0; i < expected.length; i++) if (block[offset + i] !== expected[i]) return false;
  return true;
}

/** Verify the checksum and recognise the layout; throws ERR_BAD_TAR on a bad checksum. */
export function detectFormat(block: Uint8Array): 'v7' | 'ustar' | 'gnu' | 'star' {
  let stored: number;
  try {
    stored = parseOctal(block, 'chksum', Field.chksum[0], Field.chksum[0] + Field.chksum[1]);
  } catch {
    throw new ShaleError('ERR_BAD_TAR', 'invalid tar header: unreadable checksum field');
  }
  if (stored !== checksum(block) && stored !== checksum(block, true)) {
    throw new ShaleError(
      'ERR_BAD_TAR',
      'invalid tar header: checksum mismatch (not a tar archive, or corrupt)',
    );
  }
  if (bytesAt(block, Field.magic[0], MAGIC_USTAR)) {
    return bytesAt(block, Field.starTrailer[0], TRAILER_STAR) ? 'star' : 'ustar';
  }
  if (bytesAt(block, Field.magic[0], MAGIC_GNU) && bytesAt(block, Field.version[0], VERSION_GNU))
    return 'gnu';
  return 'v7';
}

/** Reader dialects: Go 1.4's reader (Docker 1.6–1.8, TarSum's 2015 behaviour) or Go 1.11+. */
export type TarDialect = 'go1.4' | 'modern';

/** The fields of one header block, before any PAX or GNU long-name records are applied. */
export type BlockFields = TarHeader;

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) >= 0x80) return false;
  return true;
}

function optionalTime(block: Uint8Array, name: FieldName, what: string): number | undefined {
  return block[Field[name][0]] === 0 ? undefined : numberAt(block, name, what);
}

/** Decode a (non-zero) header block. */
export function decodeBlock(block: Uint8Array, dialect: TarDialect): BlockFields {
  const detected = detectFormat(block);
  const typeflag = String.fromCharCode(block[156]!);
  const fields: BlockFields = {
    format: detected,
    typeflag,
    name: textAt(block, 'name'),
    linkname: textAt(block, 'linkname'),
    mode: numberAt(block, 'mode', 'mode'),
    uid: numberAt(block, 'uid', 'uid'),
    gid: numberAt(block, 'gid', 'gid'),
    size: numberAt(block, 'size', 'size'),
    mtime: numberAt(block, 'mtime', 'mtime'),
    atime: undefined,
    ctime: undefined,
    uname: '',
    gname: '',
    devmajor: 0,
    devminor: 0,
    xattrs: new Map(),
    paxRecords: new Map(),
  };
  if (fields.size < 0) throw new ShaleError('ERR_BAD_TAR', 'invalid tar header: negative size');
  if (detected === 'v7') return fields;

  fields.uname = textAt(block, 'uname');
  fields.gname = textAt(block, 'gname');
  if (dialect === 'modern' || isDevice(typeflag)) {
    fields.devmajor = numberAt(block, 'devmajor', 'devmajor');
    fields.devminor = numberAt(block, 'devminor', 'devminor');
  }
  let prefix = '';
  if (detected === 'ustar') {
    prefix = textAt(block, 'prefix');
  } else if (detected === 'star') {
    prefix = textAt(block, 'starPrefix');
    fields.atime = numberAt(block, 'starAtime', 'atime');
    fields.ctime = numberAt(block, 'starCtime', 'ctime');
  } else if (dialect === 'go1.4') {
    // Go 1.4 read the ustar prefix field of old-GNU headers too (its atime/ctime bytes).
    prefix = textAt(block, 'prefix');
  } else {
    try {
      fields.atime = optionalTime(block, 'gnuAtime', 'atime');
      fields.ctime = optionalTime(block, 'gnuCtime', 'ctime');
    } catch {
      // Written by Go < 1.8, which put a ustar prefix into old-GNU headers.
      fields.atime = undefined;
      fields.ctime = undefined;
      fields.format = 'v7';
      const candidate = textAt(block, 'prefix');
      if (isAscii(candidate)) prefix = candidate;
    }
  }
  if (prefix.length > 0) fields.name = `${prefix}/${fields.name}`;
  return fields;
}
