/**
 * `WWW-Authenticate` parsing (RFC 7235 §4.1): several challenges per header and several header
 * lines, case-insensitive scheme and parameter names, quoted strings with backslash escapes,
 * and token68 credentials. Lenient like browsers: junk between challenges is skipped, and an
 * unquoted value runs to the next comma or space even when it holds non-token characters.
 */

export interface Challenge {
  /** The auth scheme, lower-cased (`bearer`, `basic`). */
  readonly scheme: string;
  /** Parameters by lower-cased name; the first occurrence of a name wins. */
  readonly params: Readonly<Record<string, string>>;
  /** The token68 form (`Negotiate abc==`), when the challenge has one instead of parameters. */
  readonly token68?: string;
}

const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*(?=[ \t]*(,|$))/;

/** Every challenge in one or more `WWW-Authenticate` header values, in order. */
export function parseChallenges(header: string | readonly string[]): Challenge[] {
  const values = typeof header === 'string' ? [header] : header;
  return values.flatMap((value) => new ChallengeReader(value).readAll());
}

class ChallengeReader {
  readonly #text: string;
  #pos = 0;

  constructor(text: string) {
    this.#text = text;
  }

  readAll(): Challenge[] {
    const challenges: Challenge[] = [];
    for (;;) {
      this.#skip(/[ \t,]/);
      if (this.#pos >= this.#text.length) return challenges;
      const scheme = this.#token();
      if (scheme === '') {
        this.#skip(/[^,]/); // not a challenge: skip to the next list element
        continue;
      }
      this.#skip(/[ \t]/);
      const token68 = TOKEN68.exec(this.#text.slice(this.#pos))?.[0];
      if (token68 !== undefined) {
        this.#pos += token68.length;
        challenges.push({ scheme: scheme.toLowerCase(), params: {}, token68 });
      } else {
        challenges.push({ scheme: scheme.toLowerCase(), params: this.#params() });
      }
    }
  }

  /** `name = value` pairs separated by commas, up to the start of the next challenge. */
  #params(): Record<string, string> {
    const params: Record<string, string> = {};
    for (;;) {
      this.#skip(/[ \t,]/);
      const start = this.#pos;
      const name = this.#token();
      this.#skip(/[ \t]/);
      if (name === '' || this.#text[this.#pos] !== '=') {
        this.#pos = start; // the next challenge's scheme, or the end
        return params;
      }
      this.#pos++;
      this.#skip(/[ \t]/);
      const value = this.#text[this.#pos] === '"' ? this.#quoted() : this.#bareValue();
      const key = name.toLowerCase();
      if (!(key in params)) params[key] = value;
    }
  }

  #token(): string {
    const start = this.#pos;
    while (this.#pos < this.#text.length && TCHAR.test(this.#text[this.#pos]!)) this.#pos++;
    return this.#text.slice(start, this.#pos);
  }

  /** An unquoted value; lenient: anything up to a comma or white space (`realm=http://x/t`). */
  #bareValue(): string {
    const start = this.#pos;
    this.#skip(/[^,\s]/);
    return this.#text.slice(start, this.#pos);
  }

  /** A quoted string starting at the opening quote; an unterminated one runs to the end. */
  #quoted(): string {
    let value = '';
    for (this.#pos++; this.#pos < this.#text.length; this.#pos++) {
      const c = this.#text[this.#pos]!;
      if (c === '"') {
        this.#pos++;
        break;
      }
      if (c === '\\' && this.#pos + 1 < this.#text.length) this.#pos++;
      value += this.#text[this.#pos];
    }
    return value;
  }

  #skip(chars: RegExp): void {
    while (this.#pos < this.#text.length && chars.test(this.#text[this.#pos]!)) this.#pos++;
  }
}
