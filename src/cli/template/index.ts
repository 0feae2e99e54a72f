/**
 * `--format` as docker's CLI applies it (docker/cli `cli/command/formatter/formatter.go`): a
 * leading `table` asks for a header row and tab-aligned columns; the literal escapes `\t` and `\n`
 * become a tab and a newline; the rest is a Go template run once per row, each output followed by
 * a newline. The header row is the same template run on the column names with docker's header
 * functions; like docker, a header that fails part-way keeps what it printed before the failure.
 *
 * Supported: text, `{{.Field.Sub}}`, `{{.}}`, `{{$}}`, `{{$.Field}}`, literals, pipelines
 * (`{{.X | json}}`), parentheses, `if`/`else if`/`else`, `with`, `range … else`, trim markers,
 * comments, and the functions in functions.ts. Refused with `template: …`: variables other than
 * `$`, `define`/`template`/`block`, `break`/`continue`, and functions shale does not define.
 */
import { TemplateError, TemplateExecError } from './error.ts';
import { execute } from './evaluate.ts';
import { headerFunctions, templateFunctions } from './functions.ts';
import type { Value } from './go-values.ts';
import { parseTemplate, type Node, type Operand, type Pipeline } from './parser.ts';
import { tabwrite } from './tabwriter.ts';

export { TemplateError, TemplateExecError } from './error.ts';
export { formatValue, toJson } from './go-values.ts';
export { tabwrite } from './tabwriter.ts';

/** Go functions shale does not provide, named in the error so the user knows it is deliberate. */
const GO_ONLY = ['printf', 'slice', 'html', 'js', 'urlquery', 'call'];

function checkFunctions(nodes: Node[]): void {
  const checkPipe = (pipe: Pipeline): void => {
    for (const { operands } of pipe.commands) operands.forEach(checkOperand);
  };
  const checkOperand = (operand: Operand): void => {
    if (operand.type === 'pipeline') checkPipe(operand.pipe);
    if (operand.type === 'field') checkOperand(operand.base);
    if (operand.type !== 'identifier' || operand.name in templateFunctions) return;
    if (GO_ONLY.includes(operand.name))
      throw new TemplateError(`function "${operand.name}" is not supported by shale`);
    throw new TemplateError(`function "${operand.name}" not defined`);
  };
  for (const node of nodes) {
    if (node.type === 'text') continue;
    checkPipe(node.pipe);
    if (node.type !== 'action') {
      checkFunctions(node.list);
      if (node.elseList) checkFunctions(node.elseList);
    }
  }
}

/** A parsed Go template; throws TemplateError when `source` does not parse or is unsupported. */
export function compileTemplate(source: string): Node[] {
  const nodes = parseTemplate(source);
  checkFunctions(nodes);
  return nodes;
}

/** The template's output for `data` (a Go struct-like object: unknown fields are errors). */
export function renderTemplate(nodes: Node[], data: Value): string {
  const out: string[] = [];
  execute(nodes, data, { functions: templateFunctions, strictRoot: true }, out);
  return out.join('');
}

export interface DockerFormat {
  table: boolean;
  nodes: Node[];
}

const TABLE = 'table';

/** Parse a `--format` value the way docker's formatter prepares it. */
export function parseDockerFormat(format: string): DockerFormat {
  const table = format.startsWith(TABLE);
  const body = (table ? format.slice(TABLE.length) : format)
    .replace(/^ +| +$/g, '')
    .replaceAll('\\t', '\t')
    .replaceAll('\\n', '\n');
  return { table, nodes: compileTemplate(body) };
}

/** docker's table header: the template run on the column names; a failure keeps the partial. */
function headerRow(nodes: Node[], header: Record<string, string>): string {
  const out: string[] = [];
  try {
    execute(nodes, header, { functions: headerFunctions, strictRoot: false }, out);
  } catch (err) {
    if (!(err instanceof TemplateExecError)) throw err;
  }
  return out.join('');
}

/** Every row through the format, as docker prints a listing (`header` names the columns). */
export function formatRows(
  format: DockerFormat,
  rows: readonly Value[],
  header: Record<string, string>,
): string {
  const body = rows.map((row) => `${renderTemplate(format.nodes, row)}\n`).join('');
  if (!format.table) return body;
  return tabwrite(`${headerRow(format.nodes, header)}\n${body}`);
}
