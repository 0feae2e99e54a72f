/**
 * Variable expansion in Dockerfile words, as Docker's builder does it before ENV, LABEL, USER,
 * VOLUME, WORKDIR and EXPOSE take effect: quotes are removed, the escape character (`\`) keeps
 * the next character, `$NAME`, `${NAME}`, `${NAME:-word}`, `${NAME:+word}`, `${NAME?msg}` and
 * `${NAME:?msg}` read the environment the config has so far (unset names are empty).
 */

const ESCAPE = '\\';
const isSpace = (ch: string): boolean => /\s/u.test(ch);
const isNameChar = (ch: string): boolean => /[\p{L}\p{Nd}_]/u.test(ch);
const SPECIAL = new Set(['@', '*', '#', '?', '-', '$', '!', '0']);

class Scanner {
  private pos = 0;
  private readonly chars: string[];

  constructor(
    text: string,
    private readonly env: Map<string, string>,
  ) {
    this.chars = [...text];
  }

  peek(): string | undefined {
    return this.chars[this.pos];
  }

  next(): string | undefined {
    return this.chars[this.pos++];
  }

  /** Process until `stop` (consumed) or the end; returns the word and its whitespace-split words. */
  words(stop?: string): { word: string; words: string[] } {
    let word = '';
    const words: string[] = [];
    let current = '';
    let inWord = false;
    const addChar = (ch: string): void => {
      if (isSpace(ch)) {
        if (inWord && current.length > 0) {
          words.push(current);
          current = '';
          inWord = false;
        }
      } else {
        current += ch;
        inWord = true;
      }
    };
    const finish = (): { word: string; words: string[] } => {
      if (current.length > 0) words.push(current);
      return { word, words };
    };
    for (let ch = this.peek(); ch !== undefined; ch = this.peek()) {
      if (stop !== undefined && ch === stop) {
        this.next();
        return finish();
      }
      if (ch === "'" || ch === '"' || ch === '$') {
        const part =
          ch === "'" ? this.singleQuoted() : ch === '"' ? this.doubleQuoted() : this.dollar();
        word += part;
        if (ch === '$') for (const c of part) addChar(c);
        else {
          current += part;
          inWord = true;
        }
        continue;
      }
      this.next();
      if (ch === ESCAPE) {
        const escaped = this.next();
        if (escaped === undefined) break;
        current += escaped;
        inWord = true;
        word += escaped;
        continue;
      }
      addChar(ch);
      word += ch;
    }
    if (stop !== undefined)
      throw new Error(`unexpected end of statement while looking for matching ${stop}`);
    return finish();
  }

  private singleQuoted(): string {
    this.next();
    let out = '';
    for (;;) {
      const ch = this.next();
      if (ch === undefined)
        throw new Error('unexpected end of statement while looking for matching single-quote');
      if (ch === "'") return out;
      out += ch;
    }
  }

  private doubleQuoted(): string {
    this.next();
    let out = '';
    for (;;) {
      const ch = this.peek();
      if (ch === undefined)
        throw new Error('unexpected end of statement while looking for matching double-quote');
      if (ch === '"') {
        this.next();
        return out;
      }
      if (ch === '$') {
        out += this.dollar();
        continue;
      }
      let c = this.next()!;
      if (c === ESCAPE) {
        const following = this.peek();
        if (following === undefined) continue;
        if (following === '"' || following === '$' || following === ESCAPE) c = this.next()!;
      }
      out += c;
    }
  }

  private name(): string {
    let name = '';
    for (let ch = this.peek(); ch !== undefined; ch = this.peek()) {
      if (name === '' && /\p{Nd}/u.test(ch)) {
        while (this.peek() !== undefined && /\p{Nd}/u.test(this.peek()!)) name += this.next();
        return name;
      }
      if (name === '' && SPECIAL.has(ch)) return this.next()!;
      if (!isNameChar(ch)) break;
      name += this.next();
    }
    return name;
  }

  private lookup(name: string): string | undefined {
    return this.env.get(name);
  }

  private dollar(): string {
    this.next();
    if (this.peek() !== '{') {
      const name = this.name();
      return name === '' ? '$' : (this.lookup(name) ?? '');
    }
    this.next();
    const first = this.peek();
    if (first === undefined) throw new Error("syntax error: missing '}'");
    if (first === '{' || first === '}' || first === ':')
      throw new Error('syntax error: bad substitution');
    const name = this.name();
    const ch = this.next();
    if (ch === '}') return this.lookup(name) ?? '';
    if (ch === '?') {
      const { word } = this.closing();
      const value = this.lookup(name);
      if (value === undefined) throw new Error(`${name}: ${word || 'is not allowed to be unset'}`);
      return value;
    }
    if (ch === ':') {
      const modifier = this.next();
      const { word } = this.closing();
      const value = this.lookup(name);
      switch (modifier) {
        case '+':
          return value ? word : (value ?? '');
        case '-':
          return value ? value : word;
        case '?':
          if (value === undefined)
            throw new Error(`${name}: ${word || 'is not allowed to be unset'}`);
          if (value === '') throw new Error(`${name}: ${word || 'is not allowed to be empty'}`);
          return value;
        default:
          throw new Error(`unsupported modifier (${modifier ?? ''}) in substitution`);
      }
    }
    throw new Error("missing ':' in substitution");
  }

  private closing(): { word: string } {
    try {
      return this.words('}');
    } catch (err) {
      if (this.peek() === undefined) throw new Error("syntax error: missing '}'", { cause: err });
      throw err;
    }
  }
}

/** The environment `KEY=value` entries define (a later entry wins; no `=` means empty). */
export function envMap(env: readonly string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const entry of env) {
    const eq = entry.indexOf('=');
    map.set(eq < 0 ? entry : entry.slice(0, eq), eq < 0 ? '' : entry.slice(eq + 1));
  }
  return map;
}

function expand(text: string, env: readonly string[]): { word: string; words: string[] } {
  try {
    return new Scanner(text, envMap(env)).words();
  } catch (err) {
    throw new Error(`failed to process ${JSON.stringify(text)}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** One word, expanded (Docker's ProcessWord). */
export function expandWord(text: string, env: readonly string[]): string {
  return expand(text, env).word;
}

/** Expanded and split at unquoted whitespace (Docker's ProcessWords, used by EXPOSE). */
export function expandWords(text: string, env: readonly string[]): string[] {
  return expand(text, env).words;
}
