/**
 * Reading `--change` values as Docker's Dockerfile parser reads them (all changes joined by
 * newlines into one Dockerfile): `\` line continuations, `#` comment lines, the instruction word
 * in any case, leading `--flag=value` words, and each instruction's argument form — JSON array or
 * shell string (CMD, ENTRYPOINT), JSON array or words (VOLUME), `name=value` pairs or the legacy
 * `name value` (ENV, LABEL), one string (USER, WORKDIR), words (EXPOSE), a nested instruction
 * (ONBUILD), a type then a command (HEALTHCHECK). Only instructions valid in a commit pass.
 */

export interface Instruction {
  /** The instruction word, lower case (`env`). */
  name: string;
  /** The whole instruction as written (continuations joined), for messages and ONBUILD. */
  original: string;
  /** `--name=value` words before the arguments. */
  flags: string[];
  args: string[];
  /** The arguments were a JSON array (exec form). */
  json: boolean;
}

/** The instructions Docker accepts in `commit --change` and `import --change`. */
const COMMIT_INSTRUCTIONS = new Set([
  'cmd',
  'entrypoint',
  'healthcheck',
  'env',
  'expose',
  'label',
  'onbuild',
  'user',
  'volume',
  'workdir',
]);

const ESCAPE = '\\';
const WHITESPACE = /[\t\v\f\r ]+/;
const CONTINUATION = /([^\\])\\[ \t]*$|^\\[ \t]*$/;
const isSpace = (ch: string): boolean => /\s/u.test(ch);

class NotStringArray extends Error {
  constructor() {
    super('when using JSON array syntax, arrays must be comprised of strings only');
  }
}

/** Words split at unquoted whitespace; quotes and escapes are kept for the expansion step. */
function parseWords(rest: string): string[] {
  const words: string[] = [];
  const chars = [...rest];
  let word = '';
  let inWord = false;
  let quote: string | undefined;
  let blankOk = false;
  for (let i = 0; i < chars.length; i++) {
    let ch = chars[i]!;
    if (!inWord) {
      if (isSpace(ch)) continue;
      inWord = true;
    }
    if (quote === undefined) {
      if (isSpace(ch)) {
        if (blankOk || word.length > 0) words.push(word);
        word = '';
        blankOk = false;
        inWord = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOk = true;
      } else if (ch === ESCAPE) {
        if (i + 1 === chars.length) continue;
        word += ch;
        ch = chars[++i]!;
      }
      word += ch;
      continue;
    }
    if (ch === quote) quote = undefined;
    else if (ch === ESCAPE && quote !== "'") {
      if (i + 1 === chars.length) {
        quote = undefined;
        continue;
      }
      word += ch;
      ch = chars[++i]!;
    }
    word += ch;
  }
  if (inWord && (blankOk || word.length > 0)) words.push(word);
  return words;
}

/** The JSON array at the start of `rest` (Go's json.Decoder reads one value, ignores the rest). */
function parseJson(rest: string): string[] | undefined {
  const text = rest.trimStart();
  if (!text.startsWith('[')) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text.slice(0, firstValueEnd(text)));
  } catch {
    return undefined;
  }
  if (!Array.isArray(value)) return undefined;
  if (!value.every((v) => typeof v === 'string')) throw new NotStringArray();
  return value;
}

/** The end of the JSON array starting `text` (brackets outside strings balanced), or its length. */
function firstValueEnd(text: string): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === '[' || ch === '{') depth++;
    else if ((ch === ']' || ch === '}') && --depth === 0) return i + 1;
  }
  return text.length;
}

function maybeJson(rest: string): { args: string[]; json: boolean } {
  if (rest === '') return { args: [], json: false };
  const json = parseJson(rest);
  return json ? { args: json, json: true } : { args: [rest], json: false };
}

function whitespaceWords(rest: string): string[] {
  return rest === '' ? [] : rest.split(WHITESPACE);
}

function nameValues(rest: string, name: string): string[] {
  const words = parseWords(rest);
  if (words.length === 0) return [];
  if (!words[0]!.includes('=')) {
    const parts = splitOnce(rest, WHITESPACE);
    if (parts.length < 2) throw new Error(`${name} must have two arguments`);
    return parts;
  }
  return words.flatMap((word) => {
    const eq = word.indexOf('=');
    if (eq < 0)
      throw new Error(
        `Syntax error - can't find = in ${JSON.stringify(word)}. Must be of the form: name=value`,
      );
    return [word.slice(0, eq), word.slice(eq + 1)];
  });
}

function splitOnce(text: string, separator: RegExp): string[] {
  const match = separator.exec(text);
  return match ? [text.slice(0, match.index), text.slice(match.index + match[0].length)] : [text];
}

/** `--flag` words at the start of `line` (quotes and `\` handled), and the rest. */
function extractFlags(line: string): { rest: string; flags: string[] } {
  const flags: string[] = [];
  let pos = 0;
  for (;;) {
    while (pos < line.length && isSpace(line[pos]!)) pos++;
    if (!line.startsWith('--', pos)) return { rest: line.slice(pos), flags };
    let word = '';
    let quote: string | undefined;
    let blankOk = false;
    for (; pos < line.length; pos++) {
      let ch = line[pos]!;
      if (quote === undefined && isSpace(ch)) break;
      if (quote === undefined && (ch === "'" || ch === '"')) {
        quote = ch;
        blankOk = true;
        continue;
      }
      if (quote !== undefined && ch === quote) {
        quote = undefined;
        continue;
      }
      if (ch === '\\') {
        if (pos + 1 === line.length) continue;
        ch = line[++pos]!;
      }
      word += ch;
    }
    if (word === '--') return { rest: line.slice(pos), flags };
    if (blankOk || word.length > 0) flags.push(word);
    if (pos >= line.length) return { rest: '', flags };
  }
}

/** One instruction line: its word, flags and arguments in the form the instruction takes. */
function parseLine(line: string): Instruction {
  const [word = '', tail = ''] = splitOnce(line.trim(), WHITESPACE);
  const name = word.toLowerCase();
  const { rest: untrimmed, flags } = extractFlags(tail);
  const rest = untrimmed.trim();
  const base = { name, original: line, flags, json: false };
  switch (name) {
    case 'cmd':
    case 'entrypoint':
      return { ...base, ...maybeJson(rest) };
    case 'volume': {
      const json = parseJson(rest);
      return json ? { ...base, args: json, json: true } : { ...base, args: whitespaceWords(rest) };
    }
    case 'env':
    case 'label':
      return { ...base, args: nameValues(rest, name.toUpperCase()) };
    case 'user':
    case 'workdir':
      return { ...base, args: rest === '' ? [] : [rest] };
    case 'expose':
      return { ...base, args: whitespaceWords(rest) };
    case 'onbuild': {
      if (rest === '') return { ...base, args: [] };
      const trigger = parseLine(rest);
      return { ...base, args: [trigger.name, ...trigger.args] };
    }
    case 'healthcheck': {
      const [type = '', command = ''] = splitOnce(rest, /\s+/u);
      if (type === '') return { ...base, args: [] };
      const parsed = maybeJson(command);
      return { ...base, args: [type, ...parsed.args], json: parsed.json };
    }
    default:
      return { ...base, args: [] };
  }
}

/** Logical lines of the joined changes: comments dropped, continuations joined. */
function logicalLines(text: string): string[] {
  const physical = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const lines: string[] = [];
  const isComment = (raw: string): boolean => raw.trimStart().startsWith('#');
  const continued = (raw: string): { text: string; more: boolean } =>
    CONTINUATION.test(raw)
      ? { text: raw.replace(CONTINUATION, '$1'), more: true }
      : { text: raw, more: false };
  for (let i = 0; i < physical.length; i++) {
    const first = physical[i]!.trimStart();
    let { text: line, more } = continued(isComment(first) ? '' : first);
    if (!more && line === '') continue;
    while (more && i + 1 < physical.length) {
      const raw = physical[++i]!;
      if (isComment(raw) || raw.trim() === '') continue;
      const next = continued(raw);
      line += next.text;
      more = next.more;
    }
    lines.push(line);
  }
  return lines;
}

/**
 * The instructions of `changes`, parsed; throws (with Docker's message) on a parse error or an
 * instruction that a commit does not allow.
 */
export function parseChanges(changes: readonly string[]): Instruction[] {
  const instructions = logicalLines(changes.join('\n')).map(parseLine);
  if (instructions.length === 0) throw new Error('file with no instructions');
  const invalid = instructions.find((i) => !COMMIT_INSTRUCTIONS.has(i.name));
  if (invalid) throw new Error(`${invalid.name} is not a valid change command`);
  return instructions;
}
