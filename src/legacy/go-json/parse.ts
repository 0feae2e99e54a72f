/**
 * A byte-level JSON parser with Go's encoding/json rules: the RFC 8259 grammar as Go's scanner
 * checks it (any byte ≥ 0x20 inside strings, invalid UTF-8 included), strings unquoted the Go way
 * (invalid UTF-8 and lone surrogate escapes become U+FFFD), and every value keeping its byte span
 * so raw values can be re-emitted exactly as given.
 */
import { ShaleError } from '../../core/errors.ts';
import { decodeRuneAt } from './utf8.ts';

interface Span {
  /** The whole document the value was parsed from. */
  readonly source: Uint8Array;
  readonly start: number;
  readonly end: number;
}

export type JsonNode = Span &
  (
    | { readonly kind: 'object'; readonly members: readonly JsonMember[] }
    | { readonly kind: 'array'; readonly items: readonly JsonNode[] }
    | { readonly kind: 'string'; readonly value: string }
    | { readonly kind: 'number'; readonly text: string }
    | { readonly kind: 'bool'; readonly value: boolean }
    | { readonly kind: 'null' }
  );

export interface JsonMember {
  /** The key, unquoted. */
  readonly key: string;
  readonly value: JsonNode;
}

/** Nesting deeper than this is refused (Go allows 10000; real image JSON nests a few levels). */
const MAX_DEPTH = 1000;
const isDigit = (b: number | undefined): boolean => b !== undefined && b >= 0x30 && b <= 0x39;
const latin1 = new TextDecoder('latin1');

function codePointsToString(codePoints: number[]): string {
  let text = '';
  for (let i = 0; i < codePoints.length; i += 4096) {
    text += String.fromCodePoint(...codePoints.slice(i, i + 4096));
  }
  return text;
}

/** The bytes of a parsed value exactly as they appear in its document. */
export function rawBytes(node: JsonNode): Uint8Array {
  return node.source.subarray(node.start, node.end);
}

class Parser {
  private pos = 0;

  constructor(
    private readonly source: Uint8Array,
    private readonly what: string,
  ) {}

  fail(message: string): never {
    throw new ShaleError(
      'ERR_INVALID_ARGUMENT',
      `${this.what} is not valid JSON: ${message} at byte ${this.pos}`,
    );
  }

  document(): JsonNode {
    this.skipSpace();
    const node = this.value(0);
    this.skipSpace();
    if (this.pos < this.source.length) this.fail('unexpected data after the top-level value');
    return node;
  }

  private skipSpace(): void {
    for (;;) {
      const b = this.source[this.pos];
      if (b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) return;
      this.pos++;
    }
  }

  private expect(b: number): void {
    if (this.source[this.pos] !== b)
      this.fail(`expected ${JSON.stringify(String.fromCharCode(b))}`);
    this.pos++;
  }

  private value(depth: number): JsonNode {
    if (depth > MAX_DEPTH)
      throw new ShaleError('ERR_LIMIT', `${this.what} nests deeper than ${MAX_DEPTH} levels`);
    const source = this.source;
    const start = this.pos;
    const b = source[start];
    if (b === 0x7b)
      return { kind: 'object', members: this.members(depth), source, start, end: this.pos };
    if (b === 0x5b)
      return { kind: 'array', items: this.items(depth), source, start, end: this.pos };
    if (b === 0x22) return { kind: 'string', value: this.string(), source, start, end: this.pos };
    if (b === 0x74 && this.literal('true'))
      return { kind: 'bool', value: true, source, start, end: this.pos };
    if (b === 0x66 && this.literal('false'))
      return { kind: 'bool', value: false, source, start, end: this.pos };
    if (b === 0x6e && this.literal('null')) return { kind: 'null', source, start, end: this.pos };
    this.number();
    return {
      kind: 'number',
      text: latin1.decode(source.subarray(start, this.pos)),
      source,
      start,
      end: this.pos,
    };
  }

  /** `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?` */
  private number(): void {
    const digits = (): number => {
      const from = this.pos;
      while (isDigit(this.source[this.pos])) this.pos++;
      return this.pos - from;
    };
    if (this.source[this.pos] === 0x2d) this.pos++;
    if (this.source[this.pos] === 0x30) this.pos++;
    else if (digits() === 0) this.fail('expected a value');
    if (this.source[this.pos] === 0x2e) {
      this.pos++;
      if (digits() === 0) this.fail('expected a digit after the decimal point');
    }
    const e = this.source[this.pos];
    if (e === 0x65 || e === 0x45) {
      this.pos++;
      const sign = this.source[this.pos];
      if (sign === 0x2b || sign === 0x2d) this.pos++;
      if (digits() === 0) this.fail('expected a digit in the exponent');
    }
  }

  private literal(word: string): boolean {
    for (let i = 0; i < word.length; i++) {
      if (this.source[this.pos + i] !== word.charCodeAt(i)) return false;
    }
    this.pos += word.length;
    return true;
  }

  private members(depth: number): JsonMember[] {
    const members: JsonMember[] = [];
    this.pos++;
    this.skipSpace();
    if (this.source[this.pos] === 0x7d) {
      this.pos++;
      return members;
    }
    for (;;) {
      this.skipSpace();
      if (this.source[this.pos] !== 0x22) this.fail('expected an object key');
      const key = this.string();
      this.skipSpace();
      this.expect(0x3a);
      this.skipSpace();
      members.push({ key, value: this.value(depth + 1) });
      this.skipSpace();
      if (this.source[this.pos] === 0x7d) {
        this.pos++;
        return members;
      }
      this.expect(0x2c);
    }
  }

  private items(depth: number): JsonNode[] {
    const items: JsonNode[] = [];
    this.pos++;
    this.skipSpace();
    if (this.source[this.pos] === 0x5d) {
      this.pos++;
      return items;
    }
    for (;;) {
      this.skipSpace();
      items.push(this.value(depth + 1));
      this.skipSpace();
      if (this.source[this.pos] === 0x5d) {
        this.pos++;
        return items;
      }
      this.expect(0x2c);
    }
  }

  private hex4(): number {
    const text = latin1.decode(this.source.subarray(this.pos, this.pos + 4));
    if (!/^[0-9a-fA-F]{4}$/.test(text)) this.fail('bad \\u escape');
    this.pos += 4;
    return parseInt(text, 16);
  }

  /** A string token, unquoted with Go's rules. */
  private string(): string {
    const source = this.source;
    const units: number[] = [];
    this.pos++;
    for (;;) {
      if (this.pos >= source.length) this.fail('unterminated string');
      const b = source[this.pos]!;
      if (b === 0x22) {
        this.pos++;
        return codePointsToString(units);
      }
      if (b < 0x20) this.fail('control character in string');
      if (b !== 0x5c) {
        const [rune, size] = decodeRuneAt(source, this.pos);
        units.push(rune);
        this.pos += size;
        continue;
      }
      const escape = source[this.pos + 1];
      this.pos += 2;
      const simple = SIMPLE_ESCAPES.get(escape ?? -1);
      if (simple !== undefined) {
        units.push(simple);
        continue;
      }
      if (escape !== 0x75) this.fail('bad escape');
      units.push(this.unicodeEscape());
    }
  }

  /** The code point of `\uXXXX` (the `\u` already consumed), pairing surrogates as Go does. */
  private unicodeEscape(): number {
    const first = this.hex4();
    if (first < 0xd800 || first > 0xdfff) return first;
    if (first <= 0xdbff && this.source[this.pos] === 0x5c && this.source[this.pos + 1] === 0x75) {
      const save = this.pos;
      this.pos += 2;
      const second = this.hex4();
      if (second >= 0xdc00 && second <= 0xdfff)
        return 0x10000 + ((first - 0xd800) << 10) + (second - 0xdc00);
      this.pos = save;
    }
    return 0xfffd;
  }
}

const SIMPLE_ESCAPES = new Map<number, number>([
  [0x22, 0x22],
  [0x5c, 0x5c],
  [0x2f, 0x2f],
  [0x62, 0x08],
  [0x66, 0x0c],
  [0x6e, 0x0a],
  [0x72, 0x0d],
  [0x74, 0x09],
]);

/** Parse a whole JSON document; `what` names it in error messages. */
export function parseGoJson(source: Uint8Array, what: string): JsonNode {
  return new Parser(source, what).document();
}
