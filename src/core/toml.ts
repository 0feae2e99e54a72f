/**
 * A small TOML reader for configuration files in the containers-registries shape: comments,
 * `key = value` with bare or quoted keys, `[table]` and `[[array.of.tables]]` headers with dotted
 * names, and values that are strings (basic with escapes, or literal), booleans, or one-line
 * arrays of those. Anything else TOML allows (numbers, dates, inline tables, multi-line strings
 * and arrays, dotted keys) is refused with the line it is on, never guessed at.
 */
import { ShaleError } from './errors.ts';

export type TomlValue = string | boolean | TomlValue[] | TomlTable;
export interface TomlTable {
  [key: string]: TomlValue;
}

const BARE_KEY = /^[A-Za-z0-9_-]+/;
const ESCAPES: Record<string, string> = {
  '"': '"',
  '\\': '\\',
  b: '\b',
  t: '\t',
  n: '\n',
  f: '\f',
  r: '\r',
};

/** Reads one line of TOML from a position, saying where it failed. */
class LineReader {
  pos = 0;
  constructor(
    readonly text: string,
    private readonly where: string,
  ) {}

  fail(message: string): never {
    throw new ShaleError('ERR_INVALID_ARGUMENT', `${this.where}: ${message}`);
  }

  skipSpace(): void {
    while (this.text[this.pos] === ' ' || this.text[this.pos] === '\t') this.pos++;
  }

  /** True at the end of the line or at a comment. */
  atEnd(): boolean {
    this.skipSpace();
    return this.pos >= this.text.length || this.text[this.pos] === '#';
  }

  expect(char: string): void {
    this.skipSpace();
    if (this.text[this.pos] !== char) this.fail(`expected "${char}"`);
    this.pos++;
  }

  key(): string {
    this.skipSpace();
    const quote = this.text[this.pos];
    if (quote === '"' || quote === "'") return this.string();
    const bare = BARE_KEY.exec(this.text.slice(this.pos));
    if (!bare) this.fail('expected a key');
    this.pos += bare[0].length;
    return bare[0];
  }

  /** A key, refusing the one name that would reach an object's prototype. */
  safeKey(): string {
    const key = this.key();
    if (key === '__proto__') this.fail('"__proto__" is not allowed as a key');
    return key;
  }

  /** A dotted name: `registry.mirror`. */
  dottedKey(): string[] {
    const parts = [this.safeKey()];
    for (this.skipSpace(); this.text[this.pos] === '.'; this.skipSpace()) {
      this.pos++;
      parts.push(this.safeKey());
    }
    return parts;
  }

  value(): TomlValue {
    this.skipSpace();
    const c = this.text[this.pos];
    if (c === '"' || c === "'") return this.string();
    if (c === '[') return this.array();
    for (const word of ['true', 'false']) {
      if (
        this.text.startsWith(word, this.pos) &&
        !BARE_KEY.test(this.text.slice(this.pos + word.length))
      ) {
        this.pos += word.length;
        return word === 'true';
      }
    }
    if (c === '{') this.fail('inline tables are not supported');
    return this.fail(
      `unsupported value "${this.text.slice(this.pos).trim()}" (strings, true/false and arrays of them only)`,
    );
  }

  private array(): TomlValue[] {
    this.pos++; // [
    const items: TomlValue[] = [];
    for (;;) {
      if (this.atEnd()) this.fail('arrays must close on the line they open');
      if (this.text[this.pos] === ']') break;
      items.push(this.value());
      this.skipSpace();
      if (this.text[this.pos] === ',') this.pos++;
      else if (this.text[this.pos] !== ']') this.fail('expected "," or "]" in an array');
    }
    this.pos++; // ]
    return items;
  }

  private string(): string {
    const quote = this.text[this.pos]!;
    if (this.text.startsWith(quote.repeat(3), this.pos))
      this.fail('multi-line strings are not supported');
    this.pos++;
    let out = '';
    for (;;) {
      const c = this.text[this.pos++];
      if (c === undefined) this.fail('unterminated string');
      if (c === quote) return out;
      if (c !== '\\' || quote === "'") {
        out += c;
        continue;
      }
      const e = this.text[this.pos++] ?? '';
      if (e === 'u' || e === 'U') {
        const hex = this.text.slice(this.pos, this.pos + (e === 'u' ? 4 : 8));
        if (!/^[0-9A-Fa-f]+$/.test(hex) || hex.length !== (e === 'u' ? 4 : 8))
          this.fail('bad \\u escape');
        out += String.fromCodePoint(parseInt(hex, 16));
        this.pos += hex.length;
      } else if (ESCAPES[e] !== undefined) out += ESCAPES[e];
      else this.fail(`unknown escape "\\${e}"`);
    }
  }
}

function isTable(value: TomlValue | undefined): value is TomlTable {
  return typeof value === 'object' && !Array.isArray(value);
}

/** The table a header names, made on the way; through an array of tables, its last element. */
function descend(root: TomlTable, path: readonly string[], line: LineReader): TomlTable {
  let table = root;
  for (const part of path) {
    const next: TomlValue | undefined = table[part] ?? (table[part] = {});
    const last = Array.isArray(next) ? next[next.length - 1] : next;
    if (!isTable(last)) line.fail(`"${part}" is not a table`);
    table = last;
  }
  return table;
}

/** Parse `text` (named `source` in errors) into nested tables. */
export function parseToml(text: string, source: string): TomlTable {
  const root: TomlTable = {};
  const defined = new Set<TomlTable>();
  let current = root;
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line: LineReader = new LineReader(raw, `${source} line ${i + 1}`);
    if (line.atEnd()) continue;
    if (raw.trimStart().startsWith('[')) {
      line.expect('[');
      const isArray = line.text[line.pos] === '[';
      if (isArray) line.pos++;
      const path = line.dottedKey();
      line.expect(']');
      if (isArray) line.expect(']');
      if (!line.atEnd()) line.fail('unexpected text after the table header');
      const parent = descend(root, path.slice(0, -1), line);
      const name = path[path.length - 1]!;
      if (isArray) {
        const list: TomlValue = parent[name] ?? (parent[name] = []);
        if (!Array.isArray(list)) line.fail(`"${path.join('.')}" is not an array of tables`);
        current = {};
        list.push(current);
      } else {
        current = descend(parent, [name], line);
        if (defined.has(current)) line.fail(`table [${path.join('.')}] is defined twice`);
      }
      defined.add(current);
      continue;
    }
    const key = line.dottedKey();
    if (key.length > 1) line.fail('dotted keys are not supported; use a [table] header');
    line.expect('=');
    const value = line.value();
    if (!line.atEnd()) line.fail('unexpected text after the value');
    if (Object.hasOwn(current, key[0]!)) line.fail(`"${key[0]}" is set twice`);
    current[key[0]!] = value;
  }
  return root;
}
