/**
 * Template data as Go sees it. Values are JSON-shaped (objects, arrays, strings, numbers,
 * booleans, null; `undefined` is Go's invalid value, e.g. a missing map key). This module prints
 * them as `text/template` does (fmt's `%v`: `[a b]`, `map[k:v]` with sorted keys, `<nil>` inside,
 * `<no value>` at the top), encodes them as docker's `json` function does (compact,
 * HTML characters unescaped), and says what is true for `if`.
 */

export type Value = unknown;

export function isMap(value: Value): value is Record<string, Value> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * An integer as Go prints an int (docker's numbers are integer fields); any other number as fmt's
 * `%v` of a float64: shortest digits, exponent form from 1e+06 or below 1e-04.
 */
function formatNumber(n: number): string {
  if (Number.isInteger(n) || !Number.isFinite(n)) return String(n);
  const exp = Math.floor(Math.log10(Math.abs(n)));
  if (exp < -4 || exp >= 6) {
    const [mantissa, e] = n.toExponential().split('e') as [string, string];
    const sign = e.startsWith('-') ? '-' : '+';
    return `${mantissa}e${sign}${e.replace(/^[+-]/, '').padStart(2, '0')}`;
  }
  return String(n);
}

function formatInner(value: Value): string {
  if (value === null || value === undefined) return '<nil>';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(formatInner).join(' ')}]`;
  const map = value as Record<string, Value>; // JSON-shaped data: what is left is an object
  const keys = Object.keys(map).sort();
  return `map[${keys.map((k) => `${k}:${formatInner(map[k])}`).join(' ')}]`;
}

/** What `{{pipeline}}` prints for `value`. */
export function formatValue(value: Value): string {
  return value === undefined || value === null ? '<no value>' : formatInner(value);
}

/** Docker's `json` template function: encoding/json with HTML escaping off, no trailing newline. */
export function toJson(value: Value): string {
  return (JSON.stringify(value ?? null) ?? 'null')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** Go's truth for `if`/`with`/`and`/`or`/`not`: not the zero value, not empty. */
export function isTrue(value: Value): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === 'string') return value !== '';
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.length > 0;
  if (isMap(value)) return Object.keys(value).length > 0;
  return true;
}

/** A short Go-like name of the value's type, for error messages. */
export function typeName(value: Value): string {
  if (value === undefined) return 'invalid value';
  if (value === null) return 'nil';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float64';
  if (Array.isArray(value)) return 'slice';
  if (isMap(value)) return 'map';
  return typeof value === 'boolean' ? 'bool' : typeof value;
}
