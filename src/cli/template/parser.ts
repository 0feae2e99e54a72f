/**
 * Parsing Go `text/template` tokens into a tree: text, `{{pipeline}}` actions and the control
 * structures `if`/`else if`/`else`, `range … else` and `with … else`. A pipeline is commands
 * joined by `|`; a command is a function name with arguments, or one operand (`.`, `.A.B`, `$`,
 * `$.A`, a literal, a parenthesized pipeline with an optional field chain). Variables other than
 * `$`, `define`/`template`/`block` and `break`/`continue` are refused with a clear error.
 */
import { TemplateError } from './error.ts';
import { lex, type Token } from './lexer.ts';

export type Operand =
  | { type: 'dot' }
  | { type: 'field'; base: Operand; chain: string[] }
  | { type: 'root' } // `$`
  | { type: 'identifier'; name: string }
  | { type: 'literal'; value: string | number | boolean }
  | { type: 'nil' }
  | { type: 'pipeline'; pipe: Pipeline };

export interface Command {
  operands: Operand[];
}

export interface Pipeline {
  commands: Command[];
  pos: number;
}

export interface ControlNode {
  type: 'if' | 'with' | 'range';
  pipe: Pipeline;
  list: Node[];
  elseList: Node[] | undefined;
}

export type Node =
  { type: 'text'; text: string } | { type: 'action'; pipe: Pipeline } | ControlNode;

const UNSUPPORTED_KEYWORDS = new Set(['define', 'template', 'block', 'break', 'continue']);

class Parser {
  private i = 0;

  constructor(private readonly tokens: Token[]) {}

  atEnd(): boolean {
    return this.i >= this.tokens.length;
  }

  private peek(): Token | undefined {
    return this.tokens[this.i];
  }

  private next(): Token {
    const token = this.tokens[this.i++];
    if (!token) throw new TemplateError('unexpected end of template');
    return token;
  }

  private skipSpace(): void {
    while (this.peek()?.kind === 'space') this.i++;
  }

  /** Nodes up to the end of input, or up to an `{{end}}`/`{{else…}}` (left unread). */
  list(): Node[] {
    const nodes: Node[] = [];
    for (;;) {
      const token = this.peek();
      if (!token) return nodes;
      if (token.kind === 'text') {
        this.i++;
        nodes.push({ type: 'text', text: token.text });
        continue;
      }
      if (token.kind !== 'open') throw new TemplateError(`unexpected ${token.kind}`);
      const keyword = this.keywordAfterOpen();
      if (keyword === 'end' || keyword === 'else') return nodes;
      this.i++; // the `{{`
      this.skipSpace();
      nodes.push(keyword ? this.control(keyword, token.pos) : this.action(token.pos));
    }
  }

  private keywordAfterOpen(): string | undefined {
    let j = this.i + 1;
    while (this.tokens[j]?.kind === 'space') j++;
    const token = this.tokens[j];
    if (token?.kind !== 'identifier') return undefined;
    if (UNSUPPORTED_KEYWORDS.has(token.name))
      throw new TemplateError(`{{${token.name}}} is not supported`);
    return ['if', 'with', 'range', 'else', 'end'].includes(token.name) ? token.name : undefined;
  }

  private action(pos: number): Node {
    return { type: 'action', pipe: this.pipeline(pos, 'close') };
  }

  /** `if`/`with`/`range` after its keyword's `{{`; consumes through the matching `{{end}}`. */
  private control(keyword: string, pos: number): Node {
    this.next(); // the keyword
    const pipe = this.pipeline(pos, 'close');
    const list = this.list();
    let elseList: Node[] | undefined;
    const open = this.peek();
    if (!open) throw new TemplateError(`unexpected EOF: {{${keyword}}} without {{end}}`, pos);
    this.i++;
    this.skipSpace();
    const word = this.next() as Extract<Token, { kind: 'identifier' }>;
    if (word.name === 'else') {
      this.skipSpace();
      const chained = this.peek();
      if (chained?.kind === 'identifier' && (chained.name === 'if' || chained.name === 'with')) {
        // `{{else if p}}…{{end}}` is `{{else}}{{if p}}…{{end}}{{end}}`: the inner one takes the end
        elseList = [this.control(chained.name, pos)];
        return { type: keyword as 'if', pipe, list, elseList };
      }
      this.expect('close', '{{else}}');
      elseList = this.list();
      if (!this.peek()) throw new TemplateError(`unexpected EOF: {{${keyword}}} without {{end}}`);
      this.i++;
      this.skipSpace();
      const end = this.next();
      if (end.kind !== 'identifier' || end.name !== 'end')
        throw new TemplateError(`expected {{end}} after {{else}}`, pos);
    }
    this.skipSpace();
    this.expect('close', '{{end}}');
    return { type: keyword as 'if', pipe, list, elseList };
  }

  private expect(kind: Token['kind'], what: string): void {
    const token = this.next();
    if (token.kind !== kind) throw new TemplateError(`unexpected ${token.kind} in ${what}`);
  }

  /** Commands joined by `|`, up to (and consuming) the `until` token. */
  private pipeline(pos: number, until: 'close' | 'rparen'): Pipeline {
    const commands: Command[] = [];
    let operands: Operand[] = [];
    const endCommand = (): void => {
      if (operands.length === 0) throw new TemplateError('missing value for command', pos);
      commands.push({ operands });
      operands = [];
    };
    for (;;) {
      this.skipSpace();
      const token = this.next();
      if (token.kind === until) {
        endCommand();
        return { commands, pos };
      }
      if (token.kind === 'pipe') {
        endCommand();
        continue;
      }
      if (token.kind === 'declare' || (token.kind === 'variable' && token.name !== '$'))
        throw new TemplateError('variables ($x := …) are not supported; use . and $', pos);
      operands.push(this.withFields(this.term(token, pos)));
    }
  }

  private term(token: Token, pos: number): Operand {
    switch (token.kind) {
      case 'dot':
        return { type: 'dot' };
      case 'field':
        this.i--; // a chain starting at dot
        return { type: 'dot' };
      case 'variable':
        return { type: 'root' };
      case 'string':
      case 'number':
        return { type: 'literal', value: token.value };
      case 'lparen':
        return { type: 'pipeline', pipe: this.pipeline(pos, 'rparen') };
      case 'identifier':
        if (token.name === 'true' || token.name === 'false')
          return { type: 'literal', value: token.name === 'true' };
        if (token.name === 'nil') return { type: 'nil' };
        if (['if', 'with', 'range', 'else', 'end'].includes(token.name))
          throw new TemplateError(`unexpected {{${token.name}}} in command`, pos);
        return { type: 'identifier', name: token.name };
      default:
        throw new TemplateError(`unexpected ${describe(token)} in command`, pos);
    }
  }

  /** `.A.B` directly after an operand (no space between) is a field chain on it. */
  private withFields(base: Operand): Operand {
    const chain: string[] = [];
    for (let token = this.peek(); token?.kind === 'field'; token = this.peek()) {
      chain.push(token.name);
      this.i++;
    }
    if (chain.length === 0) return base;
    if (base.type === 'literal' || base.type === 'nil' || base.type === 'identifier')
      throw new TemplateError(`unexpected .${chain.join('.')} after ${base.type}`);
    return { type: 'field', base, chain };
  }
}

function describe(token: Token): string {
  return token.kind === 'close' ? '"}}"' : token.kind === 'rparen' ? '")"' : token.kind;
}

/** Parse `source` (Go template syntax); throws TemplateError on what does not parse. */
export function parseTemplate(source: string): Node[] {
  const parser = new Parser(lex(source));
  const nodes = parser.list();
  // list() stops early only at an {{end}} or {{else}} that closes nothing
  if (!parser.atEnd()) throw new TemplateError('unexpected {{end}} or {{else}}');
  return nodes;
}
