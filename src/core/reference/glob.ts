/**
 * Path globs: `pathMatch`, shell-style pattern matching with the semantics of Go's `path.Match`
 * (used by `familiarMatch`). `*` matches any run of characters except `/`, `?` any one character
 * except `/`, `[...]` / `[^...]` a character class with `a-z` ranges, `\` escapes the next
 * character. Consecutive stars act as one (`**` does not cross `/` either).
 *
 * Go matches each star-separated chunk at the leftmost place it fits and never revisits that
 * choice; this reproduces that (so `*[/x]*y` does not match `x/y`, as in Go). A malformed pattern
 * is always an error, whether or not the name would have matched. Matching is by Unicode code
 * point where Go works on UTF-8 bytes; the two agree on well-formed text.
 */
import { ShaleError } from '../errors.ts';

type Token =
  | { type: 'literal'; cp: number }
  | { type: 'any' }
  | { type: 'class'; negated: boolean; ranges: Array<[number, number]> };

interface Chunk {
  /** Whether one or more `*` came before the tokens. */
  star: boolean;
  tokens: Token[];
}

const SLASH = 0x2f;

function badPattern(pattern: string, why: string): ShaleError {
  return new ShaleError(
    'ERR_INVALID_ARGUMENT',
    `syntax error in glob pattern ${JSON.stringify(pattern)}: ${why}`,
  );
}

/** Split at unescaped stars outside classes, then parse each chunk; throws on bad syntax. */
function compile(pattern: string): Chunk[] {
  const p = Array.from(pattern, (ch) => ch.codePointAt(0)!);
  const STAR = 0x2a;
  const BACKSLASH = 0x5c;
  const OPEN = 0x5b;
  const CLOSE = 0x5d;
  const chunks: Chunk[] = [];
  let i = 0;
  while (i < p.length) {
    let star = false;
    while (p[i] === STAR) {
      star = true;
      i++;
    }
    // Find where this chunk ends: the next star that is not escaped and not inside [...].
    let end = i;
    let inClass = false;
    for (; end < p.length; end++) {
      const c = p[end];
      if (c === BACKSLASH) {
        if (end + 1 < p.length) end++;
      } else if (c === OPEN) {
        inClass = true;
      } else if (c === CLOSE) {
        inClass = false;
      } else if (c === STAR && !inClass) {
        break;
      }
    }
    chunks.push({ star, tokens: parseChunk(p.slice(i, end), pattern) });
    i = end;
  }
  return chunks;
}

function parseChunk(c: number[], pattern: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  /** One class member character, possibly escaped; something must follow it in the chunk. */
  const classChar = (): number => {
    let ch = c[i];
    if (ch === undefined || ch === 0x2d /* - */ || ch === 0x5d /* ] */) {
      throw badPattern(pattern, 'bad character class');
    }
    if (ch === 0x5c /* \ */) {
      ch = c[++i];
      if (ch === undefined) throw badPattern(pattern, 'trailing backslash in class');
    }
    i++;
    if (i >= c.length) throw badPattern(pattern, 'unterminated character class');
    return ch;
  };
  while (i < c.length) {
    const ch = c[i]!;
    if (ch === 0x5b /* [ */) {
      i++;
      const negated = c[i] === 0x5e; /* ^ */
      if (negated) i++;
      const ranges: Array<[number, number]> = [];
      for (;;) {
        if (c[i] === 0x5d /* ] */ && ranges.length > 0) {
          i++;
          break;
        }
        const lo = classChar();
        let hi = lo;
        if (c[i] === 0x2d /* - */) {
          i++;
          hi = classChar();
        }
        ranges.push([lo, hi]);
      }
      tokens.push({ type: 'class', negated, ranges });
    } else if (ch === 0x3f /* ? */) {
      tokens.push({ type: 'any' });
      i++;
    } else if (ch === 0x5c /* \ */) {
      const next = c[i + 1];
      if (next === undefined) throw badPattern(pattern, 'trailing backslash');
      tokens.push({ type: 'literal', cp: next });
      i += 2;
    } else {
      tokens.push({ type: 'literal', cp: ch });
      i++;
    }
  }
  return tokens;
}

/** Match `tokens` (one character each) at `s[at]`; returns the end index or -1. */
function matchTokens(tokens: Token[], s: number[], at: number): number {
  if (at + tokens.length > s.length) return -1;
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k]!;
    const ch = s[at + k]!;
    if (t.type === 'literal') {
      if (ch !== t.cp) return -1;
    } else if (t.type === 'any') {
      if (ch === SLASH) return -1;
    } else {
      const inside = t.ranges.some(([lo, hi]) => lo <= ch && ch <= hi);
      if (inside === t.negated) return -1;
    }
  }
  return at + tokens.length;
}

/**
 * Whether the whole of `name` matches the glob `pattern` (Go `path.Match` semantics).
 * Throws ShaleError ERR_INVALID_ARGUMENT when the pattern is malformed.
 */
export function pathMatch(pattern: string, name: string): boolean {
  const chunks = compile(pattern);
  const s = Array.from(name, (ch) => ch.codePointAt(0)!);
  let pos = 0;
  for (let k = 0; k < chunks.length; k++) {
    const { star, tokens } = chunks[k]!;
    const last = k === chunks.length - 1;
    if (star && tokens.length === 0) {
      // A trailing star takes the rest of the name, provided it holds no slash.
      return !s.slice(pos).includes(SLASH);
    }
    // The last chunk must end exactly at the end of the name.
    const fits = (end: number): boolean => end >= 0 && (!last || end === s.length);
    let end = matchTokens(tokens, s, pos);
    if (!fits(end) && star) {
      // Let the star swallow one more character at a time, never a slash.
      for (let skip = pos; skip < s.length && s[skip] !== SLASH; skip++) {
        end = matchTokens(tokens, s, skip + 1);
        if (fits(end)) break;
      }
    }
    if (!fits(end)) return false;
    pos = end;
  }
  return pos === s.length;
}
