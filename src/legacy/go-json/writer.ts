/**
 * Writing JSON the way Go's encoding/json does: a growable byte buffer, Go's string quoting
 * (HTML-safe, lowercase `\u00XX` escapes) and `json.Compact` with HTML escaping, which is what Go
 * applies to every `json.RawMessage` it marshals.
 */

const HEX = '0123456789abcdef';
const utf8 = new TextEncoder();

/** An append-only byte buffer. */
export class ByteWriter {
  private buffer = new Uint8Array(256);
  private length = 0;

  private reserve(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.length + extra) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }

  byte(b: number): this {
    this.reserve(1);
    this.buffer[this.length++] = b;
    return this;
  }

  bytes(data: Uint8Array): this {
    this.reserve(data.length);
    this.buffer.set(data, this.length);
    this.length += data.length;
    return this;
  }

  /** Append text as UTF-8. */
  text(text: string): this {
    return this.bytes(utf8.encode(text));
  }

  /** A copy of what was written. */
  toBytes(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }
}

function writeUnicodeEscape(out: ByteWriter, code: number): void {
  out.text('\\u');
  for (let shift = 12; shift >= 0; shift -= 4) out.byte(HEX.charCodeAt((code >> shift) & 0xf));
}

/**
 * Go's JSON string encoder (`json.Marshal` with HTML escaping): `"` and `\` escaped; `\n`, `\r`,
 * `\t` in short form; other controls, `<`, `>`, `&`, U+2028 and U+2029 as `\uXXXX` with lowercase
 * hex. A lone surrogate, which a JS string can hold but UTF-8 cannot, is written as `\ufffd`, as
 * Go writes invalid UTF-8.
 */
export function writeGoString(out: ByteWriter, value: string): void {
  out.byte(0x22);
  let runStart = 0;
  const flush = (end: number): void => {
    if (end > runStart) out.text(value.slice(runStart, end));
  };
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    let escape: string | number | undefined;
    if (c === 0x22 || c === 0x5c) escape = String.fromCharCode(0x5c, c);
    else if (c === 0x0a) escape = '\\n';
    else if (c === 0x0d) escape = '\\r';
    else if (c === 0x09) escape = '\\t';
    else if (c < 0x20 || c === 0x3c || c === 0x3e || c === 0x26 || c === 0x2028 || c === 0x2029)
      escape = c;
    else if (c >= 0xd800 && c <= 0xdbff) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
      else escape = 0xfffd;
    } else if (c >= 0xdc00 && c <= 0xdfff) escape = 0xfffd;
    if (escape === undefined) continue;
    flush(i);
    if (typeof escape === 'string') out.text(escape);
    else writeUnicodeEscape(out, escape);
    runStart = i + 1;
  }
  flush(value.length);
  out.byte(0x22);
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** Write an object as Go writes a map: keys sorted by their UTF-8 bytes, Go-quoted. */
export function writeSortedObject<T>(
  out: ByteWriter,
  entries: Iterable<readonly [string, T]>,
  writeValue: (value: T) => void,
): void {
  const sorted = [...entries]
    .map(([key, value]) => ({ key, value, bytes: utf8.encode(key) }))
    .sort((a, b) => compareBytes(a.bytes, b.bytes));
  out.byte(0x7b);
  sorted.forEach(({ key, value }, i) => {
    if (i > 0) out.byte(0x2c);
    writeGoString(out, key);
    out.byte(0x3a);
    writeValue(value);
  });
  out.byte(0x7d);
}

const isJsonSpace = (b: number): boolean => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;

/**
 * Go's `json.Compact` with HTML escaping over one JSON value that is already known to be valid:
 * whitespace outside strings is dropped, everything else is copied byte for byte (number text,
 * string escapes and even invalid UTF-8 stay as given), except that `<`, `>`, `&` become
 * `\u003c`, `\u003e`, `\u0026` and U+2028/U+2029 become `\u2028`/`\u2029`.
 */
export function writeCompact(out: ByteWriter, raw: Uint8Array): void {
  let inString = false;
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i]!;
    if (b === 0x3c || b === 0x3e || b === 0x26) {
      writeUnicodeEscape(out, b);
    } else if (b === 0xe2 && raw[i + 1] === 0x80 && (raw[i + 2] === 0xa8 || raw[i + 2] === 0xa9)) {
      writeUnicodeEscape(out, raw[i + 2] === 0xa8 ? 0x2028 : 0x2029);
      i += 2;
    } else if (inString) {
      out.byte(b);
      if (b === 0x5c) out.byte(raw[++i]!);
      else if (b === 0x22) inString = false;
    } else if (!isJsonSpace(b)) {
      out.byte(b);
      if (b === 0x22) inString = true;
    }
  }
}
