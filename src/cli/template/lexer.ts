/**
 * Lexing Go `text/template` source (the subset docker's `--format` uses): text between actions,
 * `{{ … }}` actions with Go's trim markers (`{{- ` and ` -}}` eat the whitespace beside them) and
 * comments (`{{/* … *\/}}`), and inside an action the words of its pipeline.
 */
import { TemplateError } from './error.ts';

export type Token =
  | { kind: 'text'; text: string }
  | { kind: 'open'; pos: number }
  | { kind: 'close' }
  | { kind: 'field'; name: string } // `.Name`, one per step of a chain
  | { kind: 'dot' }
  | { kind: 'variable'; name: string } // `$` or `$name`
  | { kind: 'identifier'; name: string } // a function name, a keyword, true/false/nil
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'pipe' }
  | { kind: 'lparen' }
  | { kind: 'rparen' }
  | { kind: 'declare'; text: string } // `:=`, `=`, `,`: variable declarations (unsupported)
  | { kind: 'space' };

const OPEN = '{{';
const CLOSE = '}}';
const SPACE = /[ \t\r\n]/;

function isSpace(ch: string | undefined): boolean {
  return ch !== undefined && SPACE.test(ch);
}

function trimmedEnd(text: string): string {
  return text.replace(/[ \t\r\n]+$/, '');
}

/** The tokens of `source`; text tokens already trimmed where a trim marker asks for it. */
export function lex(source: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  let trimNext = false;
  while (pos < source.length) {
    let open = source.indexOf(OPEN, pos);
    if (open < 0) open = source.length;
    let text = source.slice(pos, open);
    if (trimNext) text = text.replace(/^[ \t\r\n]+/, '');
    const trimsLeft = source[open + 2] === '-' && isSpace(source[open + 3]);
    if (trimsLeft) text = trimmedEnd(text);
    if (text !== '') tokens.push({ kind: 'text', text });
    if (open === source.length) break;
    const start = open + (trimsLeft ? 3 : 2);
    const { end, trimsRight } = lexAction(source, start, tokens, open);
    trimNext = trimsRight;
    pos = end;
  }
  return tokens;
}

/** Lex one action from `start` (just inside `{{`); returns where the text after `}}` begins. */
function lexAction(
  source: string,
  start: number,
  tokens: Token[],
  open: number,
): { end: number; trimsRight: boolean } {
  let i = start;
  while (isSpace(source[i])) i++;
  if (source.startsWith('/*', i)) {
    const close = source.indexOf('*/', i + 2);
    if (close < 0) throw new TemplateError('unclosed comment', open);
    let after = close + 2;
    const trimsRight = source.startsWith(' -}}', after);
    if (trimsRight) after += 4;
    else if (source.startsWith(CLOSE, after)) after += 2;
    else throw new TemplateError('comment ends before closing delimiter', open);
    return { end: after, trimsRight };
  }
  tokens.push({ kind: 'open', pos: open });
  i = start;
  for (;;) {
    if (i >= source.length) throw new TemplateError('unclosed action', open);
    const ch = source[i]!;
    if (isSpace(ch)) {
      if (source.startsWith('-}}', i + 1)) {
        tokens.push({ kind: 'close' });
        return { end: i + 4, trimsRight: true };
      }
      while (isSpace(source[i])) i++;
      tokens.push({ kind: 'space' });
      continue;
    }
    if (source.startsWith(CLOSE, i)) {
      tokens.push({ kind: 'close' });
      return { end: i + 2, trimsRight: false };
    }
    i = lexWord(source, i, tokens, open);
  }
}

const IDENT = /[A-Za-z0-9_]/;

function readIdent(source: string, i: number): number {
  while (i < source.length && IDENT.test(source[i]!)) i++;
  return i;
}

function lexWord(source: string, i: number, tokens: Token[], open: number): number {
  const ch = source[i]!;
  const single: Record<string, Token> = {
    '|': { kind: 'pipe' },
    '(': { kind: 'lparen' },
    ')': { kind: 'rparen' },
  };
  if (single[ch]) {
    tokens.push(single[ch]);
    return i + 1;
  }
  if (ch === '"' || ch === '`') return lexString(source, i, tokens, open);
  if (ch === "'") throw new TemplateError('character constants are not supported', open);
  if (source.startsWith(':=', i) || ch === '=' || ch === ',') {
    const text = source.startsWith(':=', i) ? ':=' : ch;
    tokens.push({ kind: 'declare', text });
    return i + text.length;
  }
  if (ch === '.') {
    const next = source[i + 1] ?? '';
    if (/[0-9]/.test(next)) return lexNumber(source, i, tokens, open);
    if (!IDENT.test(next)) {
      tokens.push({ kind: 'dot' });
      return i + 1;
    }
    const end = readIdent(source, i + 1);
    tokens.push({ kind: 'field', name: source.slice(i + 1, end) });
    return end;
  }
  if (ch === '$') {
    const end = readIdent(source, i + 1);
    tokens.push({ kind: 'variable', name: source.slice(i, end) });
    return end;
  }
  if (/[0-9+-]/.test(ch)) return lexNumber(source, i, tokens, open);
  if (IDENT.test(ch)) {
    const end = readIdent(source, i);
    tokens.push({ kind: 'identifier', name: source.slice(i, end) });
    return end;
  }
  throw new TemplateError(`unexpected ${JSON.stringify(ch)} in command`, open);
}

function lexNumber(source: string, i: number, tokens: Token[], open: number): number {
  const match = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(source.slice(i));
  const after = match ? source[i + match[0].length] : undefined;
  if (!match || (after !== undefined && /[A-Za-z0-9_.]/.test(after))) {
    const word = /^[^\s|()}]+/.exec(source.slice(i))?.[0] ?? source[i]!;
    throw new TemplateError(`bad number syntax: ${JSON.stringify(word)}`, open);
  }
  tokens.push({ kind: 'number', value: Number(match[0]) });
  return i + match[0].length;
}

const ESCAPES: Record<string, string> = {
  n: '\n',
  t: '\t',
  r: '\r',
  '"': '"',
  '\\': '\\',
  a: '\x07',
  b: '\b',
  f: '\f',
  v: '\v',
};

function lexString(source: string, i: number, tokens: Token[], open: number): number {
  const quote = source[i]!;
  let value = '';
  let j = i + 1;
  for (;;) {
    const ch = source[j];
    if (ch === undefined || (quote === '"' && ch === '\n'))
      throw new TemplateError('unterminated quoted string', open);
    if (ch === quote) break;
    if (quote === '"' && ch === '\\') {
      const next = source[j + 1] ?? '';
      const hex = /^(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8})/.exec(source.slice(j + 1));
      if (hex) {
        value += String.fromCodePoint(parseInt(hex[0].slice(1), 16));
        j += 1 + hex[0].length;
        continue;
      }
      if (!(next in ESCAPES)) throw new TemplateError(`unknown escape \\${next}`, open);
      value += ESCAPES[next];
      j += 2;
      continue;
    }
    value += ch;
    j++;
  }
  tokens.push({ kind: 'string', value });
  return j + 1;
}
