/**
 * Numeric header fields: octal text and GNU base-256 (first byte has bit 0x80 set), both ways.
 * Values beyond Number.MAX_SAFE_INTEGER are refused rather than silently rounded.
 */
import { ShaleError } from '../../core/errors.ts';

const SPACE_OR_NUL = (b: number) => b === 0x20 || b === 0x00;

/**
 * Decode a numeric field: `field`, or the bytes from `start` to `end` in it (read in place, so a
 * header block's fields need no views). Throws ERR_BAD_TAR on malformed octal or out-of-range
 * values.
 */
export function parseNumeric(
  field: Uint8Array,
  what: string,
  start = 0,
  end = field.length,
): number {
  if (end > start && (field[start]! & 0x80) !== 0) return parseBase256(field, what, start, end);
  return parseOctal(field, what, start, end);
}

export function parseOctal(field: Uint8Array, what: string, start = 0, end = field.length): number {
  while (start < end && SPACE_OR_NUL(field[start]!)) start++;
  while (end > start && SPACE_OR_NUL(field[end - 1]!)) end--;
  let value = 0;
  for (let i = start; i < end; i++) {
    const digit = field[i]! - 0x30;
    if (digit < 0 || digit > 7) {
      throw new ShaleError('ERR_BAD_TAR', `invalid octal number in tar header field ${what}`);
    }
    value = value * 8 + digit;
  }
  if (!Number.isSafeInteger(value)) {
    throw new ShaleError('ERR_BAD_TAR', `tar header field ${what} is too large`);
  }
  return value;
}

/** Two's-complement big-endian base-256, sign in bit 0x40 of the first byte (GNU/star). */
function parseBase256(field: Uint8Array, what: string, start: number, end: number): number {
  const negative = (field[start]! & 0x40) !== 0;
  const invert = negative ? 0xff : 0x00;
  let value = 0n;
  for (let i = start; i < end; i++) {
    let byte = field[i]! ^ invert;
    if (i === start) byte &= 0x7f;
    value = (value << 8n) | BigInt(byte);
  }
  if (negative) value = -value - 1n;
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new ShaleError('ERR_BAD_TAR', `tar header field ${what} is out of range`);
  }
  return Number(value);
}

/** Largest value an octal field of `width` bytes can hold with its terminating NUL. */
export function octalCapacity(width: number): number {
  return 8 ** (width - 1) - 1;
}

/** Write `value` as zero-padded octal followed by NUL into `field`; false if it does not fit. */
export function writeOctal(field: Uint8Array, value: number): boolean {
  if (!Number.isSafeInteger(value) || value < 0 || value > octalCapacity(field.length))
    return false;
  const digits = value.toString(8).padStart(field.length - 1, '0');
  for (let i = 0; i < digits.length; i++) field[i] = digits.charCodeAt(i);
  field[field.length - 1] = 0;
  return true;
}

/** Write `value` in base-256 (GNU extension) filling the whole field. */
export function writeBase256(field: Uint8Array, value: number): void {
  let v = BigInt(value);
  for (let i = field.length - 1; i >= 0; i--) {
    field[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  field[0] = (field[0]! & 0x7f) | 0x80;
  if (value < 0) field[0] |= 0x40;
}
