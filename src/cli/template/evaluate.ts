/**
 * Executing a parsed template on JSON-shaped data, with Go `text/template`'s rules: `.A.B` looks
 * keys up (a missing key, or a field of nothing, is `<no value>`), the value of a pipeline stage
 * becomes the last argument of the next, `if`/`with`/`range` test Go's truth, `range` walks a
 * slice in order and a map by sorted key. Output is appended to `out` as it is produced, so a
 * caller that tolerates a failure (docker's table headers) keeps what came before it.
 */
import { TemplateExecError } from './error.ts';
import { callFunction, type TemplateFunction } from './functions.ts';
import { formatValue, isMap, isTrue, typeName, type Value } from './go-values.ts';
import type { Command, ControlNode, Node, Operand, Pipeline } from './parser.ts';

export interface ExecOptions {
  functions: Record<string, TemplateFunction>;
  /**
   * The root is a Go struct (docker's row and inspect types): naming a field it lacks is an
   * error, as Go's "can't evaluate field". Otherwise the root is a map: `<no value>`.
   */
  strictRoot: boolean;
}

class Executor {
  constructor(
    private readonly root: Value,
    private readonly options: ExecOptions,
    private readonly out: string[],
  ) {}

  run(nodes: Node[], dot: Value): void {
    for (const node of nodes) {
      if (node.type === 'text') this.out.push(node.text);
      else if (node.type === 'action') this.out.push(formatValue(this.pipeline(node.pipe, dot)));
      else if (node.type === 'range') this.range(node, dot);
      else {
        const value = this.pipeline(node.pipe, dot);
        const branch = isTrue(value) ? node.list : node.elseList;
        if (branch) this.run(branch, node.type === 'with' && isTrue(value) ? value : dot);
      }
    }
  }

  private range(node: ControlNode, dot: Value): void {
    const value = this.pipeline(node.pipe, dot);
    let items: Value[];
    if (Array.isArray(value)) items = value;
    else if (isMap(value))
      items = Object.keys(value)
        .sort()
        .map((k) => value[k]);
    else if (value === undefined || value === null) items = [];
    else throw new TemplateExecError(`range can't iterate over ${formatValue(value)}`);
    if (items.length === 0) {
      if (node.elseList) this.run(node.elseList, dot);
      return;
    }
    for (const item of items) this.run(node.list, item);
  }

  private pipeline(pipe: Pipeline, dot: Value): Value {
    let value: Value;
    pipe.commands.forEach((command, i) => {
      value = this.command(command, dot, i > 0 ? [value] : []);
    });
    return value;
  }

  private command(command: Command, dot: Value, piped: Value[]): Value {
    const [first, ...rest] = command.operands as [Operand, ...Operand[]];
    if (first.type === 'identifier') {
      const args = rest.map((operand) => this.argument(operand, dot));
      return this.call(first.name, [...args, ...piped]);
    }
    if (rest.length > 0 || piped.length > 0)
      throw new TemplateExecError(`can't give argument to non-function ${describe(first)}`);
    if (first.type === 'nil') throw new TemplateExecError('nil is not a command');
    return this.operand(first, dot);
  }

  private call(name: string, args: Value[]): Value {
    const fn = this.options.functions[name];
    if (!fn) throw new TemplateExecError(`function "${name}" not defined`);
    return callFunction(name, fn, args);
  }

  private argument(operand: Operand, dot: Value): Value {
    if (operand.type === 'identifier') return this.call(operand.name, []);
    if (operand.type === 'nil') return null;
    return this.operand(operand, dot);
  }

  private operand(operand: Operand, dot: Value): Value {
    switch (operand.type) {
      case 'dot':
        return dot;
      case 'root':
        return this.root;
      case 'literal':
        return operand.value;
      case 'pipeline':
        return this.pipeline(operand.pipe, dot);
      case 'field':
        return operand.chain.reduce(
          (receiver, name) => this.field(receiver, name),
          this.operand(operand.base, dot),
        );
      default:
        throw new TemplateExecError(`unexpected ${operand.type}`);
    }
  }

  private field(receiver: Value, name: string): Value {
    if (receiver === undefined || receiver === null) return undefined;
    if (!isMap(receiver))
      throw new TemplateExecError(`can't evaluate field ${name} in type ${typeName(receiver)}`);
    if (Object.hasOwn(receiver, name)) return receiver[name];
    if (receiver === this.root && this.options.strictRoot)
      throw new TemplateExecError(`can't evaluate field ${name}`);
    return undefined;
  }
}

function describe(operand: Operand): string {
  if (operand.type === 'field') return `.${operand.chain.join('.')}`;
  if (operand.type === 'literal') return JSON.stringify(operand.value);
  return operand.type === 'dot' ? '.' : operand.type;
}

/** Run `nodes` on `data`, appending output to `out`; throws TemplateExecError on failure. */
export function execute(nodes: Node[], data: Value, options: ExecOptions, out: string[]): void {
  new Executor(data, options, out).run(nodes, data);
}
