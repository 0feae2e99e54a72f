/**
 * The functions a `--format` template can call: docker's (`json`, `split`, `join`, `title`,
 * `lower`, `upper`, `pad`, `truncate`, from docker/cli `templates/templates.go`) and Go's
 * built-ins that need no reflection on Go types (`and`, `or`, `not`, `len`, `index`, `print`,
 * `println`, `eq`, `ne`, `lt`, `le`, `gt`, `ge`). Arguments are checked as Go checks them (count
 * and type). `headerFunctions` are docker's replacements used to print a table's header row.
 */
import { TemplateExecError } from './error.ts';
import { formatValue, isMap, isTrue, toJson, typeName, type Value } from './go-values.ts';

type Param = 'any' | 'string' | 'int' | 'strings';

export interface TemplateFunction {
  params: Param[];
  /** Further arguments of the last param's type are allowed. */
  variadic?: boolean;
  call(...args: Value[]): Value;
}

function checkArg(name: string, param: Param, value: Value): void {
  const ok =
    param === 'any' ||
    (param === 'string' && typeof value === 'string') ||
    (param === 'int' && typeof value === 'number' && Number.isInteger(value)) ||
    (param === 'strings' && Array.isArray(value) && value.every((v) => typeof v === 'string'));
  if (!ok) {
    const want = param === 'strings' ? '[]string' : param;
    throw new TemplateExecError(
      `error calling ${name}: wrong type for value; expected ${want}; got ${typeName(value)}`,
    );
  }
}

/** Call `name` with `args`, checking them against its signature. */
export function callFunction(name: string, fn: TemplateFunction, args: Value[]): Value {
  const { params, variadic } = fn;
  const countOk = variadic ? args.length >= params.length - 1 : args.length === params.length;
  if (!countOk) {
    const want = variadic ? `at least ${params.length - 1}` : String(params.length);
    throw new TemplateExecError(
      `wrong number of args for ${name}: want ${want} got ${args.length}`,
    );
  }
  args.forEach((arg, i) => checkArg(name, params[Math.min(i, params.length - 1)]!, arg));
  return fn.call(...args);
}

/** Go's strings.Title separators: ASCII other than letters, digits, `_`; other spaces. */
function isSeparator(ch: string): boolean {
  if (ch.charCodeAt(0) <= 0x7f) return !/[0-9A-Za-z_]/.test(ch);
  return !/[\p{L}\p{Nd}]/u.test(ch) && /\s/u.test(ch);
}

/** Go's strings.Title: upper-case the first letter of each word. */
function title(s: string): string {
  let previous = ' ';
  let out = '';
  for (const ch of s) {
    out += isSeparator(previous) ? ch.toUpperCase() : ch;
    previous = ch;
  }
  return out;
}

function indexInto(container: Value, key: Value): Value {
  if (Array.isArray(container) || typeof container === 'string') {
    if (typeof key !== 'number' || !Number.isInteger(key))
      throw new TemplateExecError(`error calling index: cannot index slice with ${typeName(key)}`);
    if (key < 0 || key >= container.length)
      throw new TemplateExecError(`error calling index: index out of range: ${key}`);
    return typeof container === 'string' ? Buffer.from(container)[key] : container[key];
  }
  if (isMap(container)) {
    if (typeof key !== 'string')
      throw new TemplateExecError(`error calling index: value has type ${typeName(key)}`);
    return Object.hasOwn(container, key) ? container[key] : '';
  }
  throw new TemplateExecError(
    `error calling index: can't index item of type ${typeName(container)}`,
  );
}

function comparable(name: string, a: Value, b: Value): void {
  const kind = (v: Value) => (typeof v === 'number' ? 'number' : typeName(v));
  for (const v of [a, b])
    if (!['string', 'number', 'bool'].includes(kind(v)))
      throw new TemplateExecError(`error calling ${name}: non-comparable type ${typeName(v)}`);
  if (kind(a) !== kind(b))
    throw new TemplateExecError(`error calling ${name}: incompatible types for comparison`);
}

function ordered(name: string, test: (a: number | string, b: number | string) => boolean) {
  return {
    params: ['any', 'any'] as Param[],
    call: (a: Value, b: Value) => {
      comparable(name, a, b);
      if (typeof a === 'boolean') throw new TemplateExecError(`error calling ${name}: bool`);
      return test(a as number | string, b as number | string);
    },
  };
}

const goPrint = (value: Value) => (value === undefined ? '<no value>' : formatValue(value));

export const templateFunctions: Record<string, TemplateFunction> = {
  json: { params: ['any'], call: toJson },
  split: {
    params: ['string', 'string'],
    call: (s, sep) => splitLikeGo(s as string, sep as string),
  },
  join: { params: ['strings', 'string'], call: (a, sep) => (a as string[]).join(sep as string) },
  title: { params: ['string'], call: (s) => title(s as string) },
  lower: { params: ['string'], call: (s) => (s as string).toLowerCase() },
  upper: { params: ['string'], call: (s) => (s as string).toUpperCase() },
  pad: {
    params: ['string', 'int', 'int'],
    call: (s, before, after) =>
      s === '' ? '' : ' '.repeat(before as number) + (s as string) + ' '.repeat(after as number),
  },
  truncate: {
    params: ['string', 'int'],
    call: (s, n) => {
      const bytes = Buffer.from(s as string);
      return bytes.length < (n as number) ? s : bytes.subarray(0, n as number).toString();
    },
  },
  and: { params: ['any'], variadic: true, call: (...a) => a.find((v) => !isTrue(v)) ?? a.at(-1) },
  or: { params: ['any'], variadic: true, call: (...a) => a.find((v) => isTrue(v)) ?? a.at(-1) },
  not: { params: ['any'], call: (v) => !isTrue(v) },
  len: {
    params: ['any'],
    call: (v) => {
      if (typeof v === 'string') return Buffer.byteLength(v);
      if (Array.isArray(v)) return v.length;
      if (isMap(v)) return Object.keys(v).length;
      throw new TemplateExecError(`error calling len: len of type ${typeName(v)}`);
    },
  },
  index: {
    params: ['any', 'any'],
    variadic: true,
    call: (container, ...keys) => keys.reduce(indexInto, container),
  },
  print: {
    params: ['any'],
    variadic: true,
    call: (...a) =>
      a
        .map((v, i) =>
          i > 0 && typeof v !== 'string' && typeof a[i - 1] !== 'string'
            ? ` ${goPrint(v)}`
            : goPrint(v),
        )
        .join(''),
  },
  println: { params: ['any'], variadic: true, call: (...a) => `${a.map(goPrint).join(' ')}\n` },
  eq: {
    params: ['any', 'any'],
    variadic: true,
    call: (a, ...rest) =>
      rest.some((b) => {
        comparable('eq', a, b);
        return a === b;
      }),
  },
  ne: {
    params: ['any', 'any'],
    call: (a, b) => {
      comparable('ne', a, b);
      return a !== b;
    },
  },
  lt: ordered('lt', (a, b) => a < b),
  le: ordered('le', (a, b) => a <= b),
  gt: ordered('gt', (a, b) => a > b),
  ge: ordered('ge', (a, b) => a >= b),
};

/** Go's strings.Split: an empty separator splits into characters. */
function splitLikeGo(s: string, sep: string): string[] {
  return sep === '' ? Array.from(s) : s.split(sep);
}

const identity: TemplateFunction = { params: ['string'], call: (s) => s };
const identityOfFirst: TemplateFunction = { params: ['string', 'any'], call: (s) => s };

/** docker's HeaderFunctions: column names stay as they are. */
export const headerFunctions: Record<string, TemplateFunction> = {
  ...templateFunctions,
  json: identity,
  split: identityOfFirst,
  join: identityOfFirst,
  title: identity,
  lower: identity,
  upper: identity,
  truncate: identityOfFirst,
};
