/**
 * PAX extended-header records (`"<len> <key>=<value>\n"`): parsing by their length prefix with
 * values kept as raw bytes, applying them to a header, and encoding them for the writer.
 */
import { ShaleError } from '../../core/errors.ts';
import { toByteString, type ByteString } from './bytes.ts';

export const XATTR_PREFIX = 'SCHILY.xattr.';

const SPACE = 0x20;
const EQUALS = 0x3d;
const NEWLINE = 0x0a;

function bad(detail: string): ShaleError {
  return new ShaleError('ERR_BAD_TAR', `invalid PAX header: ${detail}`);
}

/** Parse the body of an `x` or `g` entry; later records with the same key win. */
export function parsePaxRecords(body: Buffer): Map<ByteString, Buffer> {
  const records = new Map<ByteString, Buffer>();
  let pos = 0;
  while (pos < body.length) {
    const space = body.indexOf(SPACE, pos);
    if (space === -1 || space === pos || space - pos > 20) throw bad('record without a length');
    let length = 0;
    for (let i = pos; i < space; i++) {
      const digit = body[i]! - 0x30;
      if (digit < 0 || digit > 9) throw bad('record length is not a decimal number');
      length = length * 10 + digit;
    }
    const end = pos + length;
    if (length < 5 || end > body.length || end <= space + 1)
      throw bad('record length points outside the header');
    if (body[end - 1] !== NEWLINE) throw bad('record does not end in a newline');
    const record = body.subarray(space + 1, end - 1);
    const eq = record.indexOf(EQUALS);
    if (eq <= 0) throw bad('record without a key');
    const keyBytes = record.subarray(0, eq);
    const value = record.subarray(eq + 1);
    const key = toByteString(keyBytes);
    if (key === 'path' || key === 'linkpath' || key === 'uname' || key === 'gname') {
      if (value.includes(0)) throw bad(`NUL byte in ${key}`);
    } else if (keyBytes.includes(0)) {
      throw bad('NUL byte in a record key');
    }
    records.set(key, Buffer.from(value));
    pos = end;
  }
  return records;
}

/** Decimal integer as PAX writes it (an optional sign, then digits). */
export function parsePaxInteger(value: Buffer, key: string): number {
  const text = value.toString('latin1');
  if (!/^[+-]?[0-9]{1,64}$/.test(text)) throw bad(`${key} is not a decimal number`);
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw bad(`${key} is out of range`);
  return n;
}

/** `seconds[.fraction]` → whole seconds and nanoseconds (fraction truncated to 9 digits). */
export function parsePaxTime(value: Buffer, key: string): { seconds: number; nsec: number } {
  const text = value.toString('latin1');
  const m = /^([+-]?[0-9]{1,64})(?:\.([0-9]*))?$/.exec(text);
  if (!m) throw bad(`${key} is not a time`);
  const seconds = Number(m[1]) || 0; // no negative zero
  if (!Number.isSafeInteger(seconds)) throw bad(`${key} is out of range`);
  const fraction = (m[2] ?? '').slice(0, 9).padEnd(9, '0');
  const nsec = Number(fraction);
  return { seconds, nsec: m[1]!.startsWith('-') ? -nsec : nsec };
}

/** True when the records describe a GNU sparse file (PAX formats 0.0, 0.1 and 1.0). */
export function hasSparseRecords(records: Map<ByteString, Buffer>): boolean {
  for (const key of records.keys()) if (key.startsWith('GNU.sparse.')) return true;
  return false;
}

/** Encode one record; the length prefix counts its own digits. */
export function encodePaxRecord(key: ByteString, value: Buffer): Buffer {
  // A key with '=' or NUL would be read back as a different record (e.g. an xattr name).
  if (key === '' || key.includes('=') || key.includes('\0')) {
    throw new ShaleError(
      'ERR_INVALID_ARGUMENT',
      `PAX record key ${JSON.stringify(key)} cannot be written`,
    );
  }
  const keyBytes = Buffer.from(key, 'latin1');
  const rest = keyBytes.length + value.length + 3; // space, '=', newline
  let length = rest + String(rest).length;
  if (String(length).length !== String(rest).length) length = rest + String(length).length;
  const out = Buffer.allocUnsafe(length);
  let pos = out.write(`${length} `, 0, 'latin1');
  pos += keyBytes.copy(out, pos);
  out[pos++] = EQUALS;
  pos += value.copy(out, pos);
  out[pos] = NEWLINE;
  return out;
}
