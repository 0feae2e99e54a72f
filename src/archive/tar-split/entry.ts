/**
 * One tar-split record (spec §2.2; tar-split's storage.Entry): a segment of raw tar bytes, or a
 * file whose body lives elsewhere, named, sized and checksummed (CRC-64/ISO). Encoded as one JSON
 * object per line: `{"type":1|2,"name"|"name_raw","size","payload","position"}`; a name that is
 * not UTF-8 travels as `name_raw` (base64 bytes). Decoding matches keys case-insensitively, as
 * Go's encoding/json does, and refuses anything that is not a well-formed record.
 */
import { ShaleError } from '../../core/errors.ts';
import { toByteString, type ByteString } from '../tar/bytes.ts';

export const FILE_ENTRY = 1;
export const SEGMENT_ENTRY = 2;

export type TarSplitEntry =
  | { type: typeof SEGMENT_ENTRY; payload: Buffer; position: number }
  | {
      type: typeof FILE_ENTRY;
      /** The entry's tar name as bytes (one char per byte). */
      name: ByteString;
      size: number;
      /** CRC-64 of the body, big-endian; empty when the body is empty. */
      crc: Buffer;
      position: number;
    };

function bad(what: string): ShaleError {
  return new ShaleError('ERR_BAD_RECORD', `tar-split metadata: ${what}`);
}

/**
 * `value` decoded as standard, padded base64 (Go's base64.StdEncoding, which encoding/json uses
 * for bytes), or undefined when it is not that. Node's decoder skips characters outside the
 * alphabet (and stops at a misplaced `=`), so such a value decodes short of the length its
 * characters promise; it also takes the URL alphabet's `-` and `_`, refused here.
 */
function decodeStdBase64(value: string): Buffer | undefined {
  if (value.length % 4 !== 0 || value.includes('-') || value.includes('_')) return undefined;
  const padding = value.endsWith('==') ? 2 : value.endsWith('=') ? 1 : 0;
  const decoded = Buffer.from(value, 'base64');
  return decoded.length === (value.length / 4) * 3 - padding ? decoded : undefined;
}

function base64Field(value: unknown, key: string): Buffer {
  if (value === null || value === undefined) return Buffer.alloc(0);
  const decoded = typeof value === 'string' ? decodeStdBase64(value) : undefined;
  if (!decoded) throw bad(`"${key}" is not base64`);
  return decoded;
}

function integerField(value: unknown, key: string): number {
  if (value === undefined || value === null) return 0;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    throw bad(`"${key}" is not a non-negative integer`);
  return value;
}

/** Lookup by key as Go matches them, case-insensitively (keys already in lower case as they are). */
function fieldsOf(raw: Record<string, unknown>): { get(key: string): unknown } {
  for (const key in raw) {
    if (key !== key.toLowerCase()) {
      return new Map(Object.entries(raw).map(([k, v]) => [k.toLowerCase(), v]));
    }
  }
  return { get: (key) => (Object.hasOwn(raw, key) ? raw[key] : undefined) };
}

/** Decode one NDJSON line (the `at` text says where, for messages). */
export function parseEntry(line: string, at: string): TarSplitEntry {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    throw bad(`${at} is not JSON`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw bad(`${at} is not a JSON object`);
  const fields = fieldsOf(raw as Record<string, unknown>);
  const type = fields.get('type');
  const position = integerField(fields.get('position'), 'position');
  const payload = base64Field(fields.get('payload'), 'payload');
  if (type === SEGMENT_ENTRY) return { type, payload, position };
  if (type !== FILE_ENTRY) throw bad(`${at} has an unknown type ${JSON.stringify(type)}`);
  const nameRaw = base64Field(fields.get('name_raw'), 'name_raw');
  const name = fields.get('name') ?? '';
  if (typeof name !== 'string') throw bad(`${at}: "name" is not a string`);
  const size = integerField(fields.get('size'), 'size');
  if (size > 0 && payload.length !== 8) throw bad(`${at}: a file's payload is not a CRC-64`);
  return {
    type,
    name: nameRaw.length > 0 ? toByteString(nameRaw) : toByteString(Buffer.from(name, 'utf8')),
    size,
    crc: payload,
    position,
  };
}

/** Encode one record as tar-split's JSON packer does (without the trailing newline). */
export function encodeEntry(entry: TarSplitEntry): string {
  if (entry.type === SEGMENT_ENTRY) {
    return JSON.stringify({
      type: entry.type,
      payload: entry.payload.toString('base64'),
      position: entry.position,
    });
  }
  const bytes = Buffer.from(entry.name, 'latin1');
  const text = bytes.toString('utf8');
  const utf8 = Buffer.from(text, 'utf8').equals(bytes);
  return JSON.stringify({
    type: entry.type,
    ...(utf8 ? text !== '' && { name: text } : { name_raw: bytes.toString('base64') }),
    ...(entry.size > 0 && { size: entry.size }),
    payload: entry.crc.length > 0 ? entry.crc.toString('base64') : null,
    position: entry.position,
  });
}
