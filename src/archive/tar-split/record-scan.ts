/**
 * The quick way through a tar-split record line: the exact forms tar-split's packer writes (Go's
 * encoding/json of its storage.Entry: keys in their order, no spaces, integers in plain digits, a
 * printable ASCII name without escapes) read straight from the line's bytes into a batch, with
 * no JSON object, string or Buffer per record. Any other line (keys in another order or case,
 * whitespace, escapes, a non-ASCII or raw name, a bad value) is not taken here: entry.ts's
 * parser decides it, and for every line taken here it decides the same (a property in
 * test/archive/tar-split.test.ts checks it).
 */
import { FILE_ENTRY, SEGMENT_ENTRY } from './entry.ts';
import type { RecordPacker } from './record-batch.ts';

const SEGMENT_HEAD = Buffer.from('{"type":2,"payload":"');
const FILE_HEAD = Buffer.from('{"type":1,"name":"');
const SIZE_KEY = Buffer.from(',"size":');
const PAYLOAD_KEY = Buffer.from(',"payload":');
const NULL = Buffer.from('null');
const POSITION_KEY = Buffer.from(',"position":');

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const ZERO = 0x30;
const NINE = 0x39;
const CLOSE = 0x7d;
/** Digits in the longest integer taken here (2^53 - 1 has 16). */
const MAX_DIGITS = 16;

/** Whether `line` holds `expected` at `at`. */
function has(line: Buffer, at: number, end: number, expected: Buffer): boolean {
  if (at + expected.length > end) return false;
  for (let i = 0; i < expected.length; i++) if (line[at + i] !== expected[i]) return false;
  return true;
}

/** Where a run of plain digits (JSON's form: no leading zero) starting at `at` ends, or -1. */
function digitsEnd(line: Buffer, at: number, end: number): number {
  let i = at;
  while (i < end && i - at <= MAX_DIGITS && line[i]! >= ZERO && line[i]! <= NINE) i++;
  const count = i - at;
  if (count === 0 || count > MAX_DIGITS || (count > 1 && line[at] === ZERO)) return -1;
  return i;
}

/** The value of the digits in `line[at, end)`, or -1 when it is not a safe integer. */
function digitsValue(line: Buffer, at: number, end: number): number {
  let value = 0;
  for (let i = at; i < end; i++) value = value * 10 + (line[i]! - ZERO);
  return Number.isSafeInteger(value) ? value : -1;
}

/** The position in `,"position":N}` filling `line[at, end)` exactly, or -1. */
function positionAt(line: Buffer, at: number, end: number): number {
  if (!has(line, at, end, POSITION_KEY)) return -1;
  const from = at + POSITION_KEY.length;
  const to = digitsEnd(line, from, end);
  return to !== -1 && to === end - 1 && line[to] === CLOSE ? digitsValue(line, from, to) : -1;
}

/** Where a printable ASCII name without quote or backslash starting at `at` ends (its closing quote), or -1. */
function plainNameEnd(line: Buffer, at: number, end: number): number {
  for (let i = at; i < end; i++) {
    const byte = line[i]!;
    if (byte === QUOTE) return i;
    if (byte < 0x20 || byte > 0x7e || byte === BACKSLASH) return -1;
  }
  return -1;
}

/** A segment record, taken into `packer`: whether it was. */
function scanSegment(line: Buffer, start: number, end: number, packer: RecordPacker): boolean {
  const from = start + SEGMENT_HEAD.length;
  const close = line.indexOf(QUOTE, from);
  if (close === -1 || close >= end) return false;
  const position = positionAt(line, close + 1, end);
  if (position === -1) return false;
  const count = packer.decodeBase64(line, from, close);
  if (count === undefined) return false;
  packer.commit(SEGMENT_ENTRY, count, count, position);
  return true;
}

/** A file record, taken into `packer`: its name, or undefined when it was not taken. */
function scanFile(line: Buffer, start: number, end: number, packer: RecordPacker) {
  const nameStart = start + FILE_HEAD.length;
  const nameEnd = plainNameEnd(line, nameStart, end);
  if (nameEnd <= nameStart) return undefined;
  let at = nameEnd + 1;
  let size = 0;
  if (has(line, at, end, SIZE_KEY)) {
    const to = digitsEnd(line, at + SIZE_KEY.length, end);
    if (to === -1) return undefined;
    size = digitsValue(line, at + SIZE_KEY.length, to);
    if (size <= 0) return undefined; // (Go leaves a zero size out)
    at = to;
  }
  if (!has(line, at, end, PAYLOAD_KEY)) return undefined;
  at += PAYLOAD_KEY.length;
  let count = 0;
  let position: number;
  if (has(line, at, end, NULL)) {
    if (size > 0) return undefined;
    position = positionAt(line, at + NULL.length, end);
    if (position === -1) return undefined;
  } else {
    if (line[at] !== QUOTE) return undefined;
    const close = line.indexOf(QUOTE, at + 1);
    if (close === -1 || close >= end) return undefined;
    // a body's CRC-64 is 8 bytes: 12 characters
    if (size > 0 && close - at - 1 !== 12) return undefined;
    position = positionAt(line, close + 1, end);
    if (position === -1) return undefined;
    const decoded = packer.decodeBase64(line, at + 1, close);
    if (decoded === undefined || (size > 0 && decoded !== 8)) return undefined;
    count = decoded;
  }
  const name = line.toString('latin1', nameStart, nameEnd);
  packer.commit(FILE_ENTRY, size, count, position, name);
  return name;
}

/**
 * Take the record in `line[start, end)` into `packer` when it has the packer's exact form: null
 * for a segment, the name for a file; undefined when it was not taken (nothing was added).
 */
export function scanRecord(
  line: Buffer,
  start: number,
  end: number,
  packer: RecordPacker,
): string | null | undefined {
  if (has(line, start, end, SEGMENT_HEAD))
    return scanSegment(line, start, end, packer) ? null : undefined;
  if (has(line, start, end, FILE_HEAD)) return scanFile(line, start, end, packer);
  return undefined;
}
