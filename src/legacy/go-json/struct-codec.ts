/**
 * Go structs through encoding/json, described as data: decoding follows Go's rules (field names
 * match case-insensitively, exact match preferred; unknown keys are dropped; `null` leaves a
 * value as it is but clears pointers, slices and maps; a repeated key decodes into what the
 * earlier one left; wrong types are errors) and encoding writes fields in declaration order,
 * honouring `omitempty`. Used to re-encode legacy image JSON "through the structures" of a given
 * Docker release.
 */
import { ShaleError } from '../../core/errors.ts';
import { formatGoTime, parseGoTime, ZERO_TIME, type GoTime } from '../../core/go-time.ts';
import type { JsonNode } from './parse.ts';
import { ByteWriter, writeGoString, writeSortedObject } from './writer.ts';

export interface GoStruct {
  readonly name: string;
  readonly fields: readonly GoField[];
}

export type GoType =
  | 'string'
  | 'bool'
  | 'int64'
  | 'time'
  /** `[]string` */
  | 'stringSlice'
  /** Docker's `*Command`/`*StrSlice`: decodes from a string or a string array, encodes an array. */
  | 'strSlice'
  /** `map[string]struct{}`: any object (or null) per key; encodes `{}` per key. */
  | 'emptyStructMap'
  /** `map[string]string` */
  | 'stringMap'
  | { readonly struct: GoStruct }
  | { readonly pointer: GoStruct }
  | { readonly sliceOf: GoStruct };

export interface GoField {
  /** The JSON key. */
  readonly key: string;
  readonly type: GoType;
  readonly omitEmpty?: boolean;
}

/** A decoded struct: JSON key → value. */
export type GoRecord = { [key: string]: GoValue };
export type GoValue =
  | string
  | boolean
  | bigint
  | GoTime
  | readonly string[]
  | ReadonlySet<string>
  | ReadonlyMap<string, string>
  | GoRecord
  | readonly GoRecord[]
  | null;

const INT64 = /^-?(?:0|[1-9][0-9]*)$/;
const INT64_LIMIT = 1n << 63n;

/** Case folding as Go's field matching does it (ASCII, plus K for U+212A and s for U+017F). */
const fold = (key: string): string => key.replace(/\u017f/g, 's').toLowerCase();

function zeroValue(type: GoType): GoValue {
  switch (type) {
    case 'string':
      return '';
    case 'bool':
      return false;
    case 'int64':
      return 0n;
    case 'time':
      return ZERO_TIME;
    case 'stringSlice':
    case 'strSlice':
    case 'emptyStructMap':
    case 'stringMap':
      return null;
    default:
      return 'struct' in type ? zeroStruct(type.struct) : null;
  }
}

export function zeroStruct(struct: GoStruct): GoRecord {
  return Object.fromEntries(struct.fields.map((f) => [f.key, zeroValue(f.type)]));
}

function findField(struct: GoStruct, key: string): GoField | undefined {
  const exact = struct.fields.find((f) => f.key === key);
  if (exact) return exact;
  const folded = fold(key);
  return struct.fields.find((f) => fold(f.key) === folded);
}

class Decoder {
  constructor(private readonly what: string) {}

  private typeError(path: string, expected: string, node: JsonNode): never {
    throw new ShaleError(
      'ERR_INVALID_ARGUMENT',
      `${this.what}: ${path || '(root)'} must be ${expected}, not ${node.kind}`,
    );
  }

  /** Decode `node` into a value of `type`, starting from `current` as Go does. */
  value(type: GoType, node: JsonNode, current: GoValue, path: string): GoValue {
    if (typeof type === 'object') return this.composite(type, node, current, path);
    if (type === 'time') {
      if (node.kind !== 'string') return this.typeError(path, 'an RFC 3339 time string', node);
      return parseGoTime(node.value);
    }
    if (node.kind === 'null') {
      return type === 'string' || type === 'bool' || type === 'int64' ? current : null;
    }
    switch (type) {
      case 'string':
        return node.kind === 'string' ? node.value : this.typeError(path, 'a string', node);
      case 'bool':
        return node.kind === 'bool' ? node.value : this.typeError(path, 'a boolean', node);
      case 'int64':
        if (node.kind !== 'number' || !INT64.test(node.text)) {
          return this.typeError(path, 'a 64-bit integer', node);
        }
        if (BigInt(node.text) >= INT64_LIMIT || BigInt(node.text) < -INT64_LIMIT)
          return this.typeError(path, 'a 64-bit integer', node);
        return BigInt(node.text);
      case 'stringSlice':
        return this.strings(node, current as readonly string[] | null, path);
      case 'strSlice':
        return node.kind === 'string' ? [node.value] : this.strings(node, [], path);
      case 'emptyStructMap':
        return this.keySet(node, current as ReadonlySet<string> | null, path);
      case 'stringMap':
        return this.stringMap(node, current as ReadonlyMap<string, string> | null, path);
    }
  }

  private composite(
    type: Exclude<GoType, string>,
    node: JsonNode,
    current: GoValue,
    path: string,
  ): GoValue {
    if ('struct' in type) return this.struct(type.struct, node, current as GoRecord, path);
    if (node.kind === 'null') return null;
    if ('pointer' in type) {
      const target = (current as GoRecord | null) ?? zeroStruct(type.pointer);
      return this.struct(type.pointer, node, target, path);
    }
    if (node.kind !== 'array')
      return this.typeError(path, `an array of ${type.sliceOf.name}`, node);
    const previous = (current as readonly GoRecord[] | null) ?? [];
    return node.items.map((item, i) =>
      this.struct(type.sliceOf, item, previous[i] ?? zeroStruct(type.sliceOf), `${path}[${i}]`),
    );
  }

  struct(struct: GoStruct, node: JsonNode, current: GoRecord, path: string): GoRecord {
    if (node.kind === 'null') return current;
    if (node.kind !== 'object') return this.typeError(path, `an object (${struct.name})`, node);
    const record = { ...current };
    for (const member of node.members) {
      const field = findField(struct, member.key);
      if (!field) continue;
      const fieldPath = path ? `${path}.${field.key}` : field.key;
      record[field.key] = this.value(field.type, member.value, record[field.key]!, fieldPath);
    }
    return record;
  }

  private strings(node: JsonNode, current: readonly string[] | null, path: string): string[] {
    if (node.kind !== 'array') return this.typeError(path, 'an array of strings', node);
    return node.items.map((item, i) => {
      if (item.kind === 'string') return item.value;
      if (item.kind === 'null') return current?.[i] ?? '';
      return this.typeError(`${path}[${i}]`, 'a string', item);
    });
  }

  private keySet(node: JsonNode, current: ReadonlySet<string> | null, path: string): Set<string> {
    if (node.kind !== 'object') return this.typeError(path, 'an object', node);
    const keys = new Set(current);
    for (const { key, value } of node.members) {
      if (value.kind !== 'object' && value.kind !== 'null')
        this.typeError(`${path}.${key}`, 'an object', value);
      keys.add(key);
    }
    return keys;
  }

  private stringMap(
    node: JsonNode,
    current: ReadonlyMap<string, string> | null,
    path: string,
  ): Map<string, string> {
    if (node.kind !== 'object') return this.typeError(path, 'an object of strings', node);
    const map = new Map(current);
    for (const { key, value } of node.members) {
      if (value.kind === 'string') map.set(key, value.value);
      else if (value.kind === 'null') map.set(key, '');
      else this.typeError(`${path}.${key}`, 'a string', value);
    }
    return map;
  }
}

/** Decode a parsed document into a Go struct; `what` names it in error messages. */
export function decodeGoStruct(struct: GoStruct, node: JsonNode, what: string): GoRecord {
  return new Decoder(what).struct(struct, node, zeroStruct(struct), '');
}

function isEmpty(value: GoValue): boolean {
  if (value === null || value === '' || value === false || value === 0n) return true;
  if (Array.isArray(value)) return value.length === 0;
  if (value instanceof Set || value instanceof Map) return value.size === 0;
  return false;
}

function writeValue(out: ByteWriter, type: GoType, value: GoValue): void {
  if (value === null) {
    out.text('null');
    return;
  }
  if (typeof type === 'object') {
    if ('sliceOf' in type) {
      writeArray(out, value as readonly GoRecord[], (item) => writeStruct(out, type.sliceOf, item));
    } else {
      writeStruct(out, 'struct' in type ? type.struct : type.pointer, value as GoRecord);
    }
    return;
  }
  switch (type) {
    case 'string':
      return writeGoString(out, value as string);
    case 'bool':
      out.text((value as boolean) ? 'true' : 'false');
      return;
    case 'int64':
      out.text((value as bigint).toString());
      return;
    case 'time':
      return writeGoString(out, formatGoTime(value as GoTime));
    case 'stringSlice':
    case 'strSlice':
      return writeArray(out, value as readonly string[], (s) => writeGoString(out, s));
    case 'emptyStructMap':
      return writeSortedObject(
        out,
        [...(value as ReadonlySet<string>)].map((k) => [k, null]),
        () => out.text('{}'),
      );
    case 'stringMap':
      return writeSortedObject(out, value as ReadonlyMap<string, string>, (s) =>
        writeGoString(out, s),
      );
  }
}

function writeArray<T>(out: ByteWriter, items: readonly T[], writeItem: (item: T) => void): void {
  out.byte(0x5b);
  items.forEach((item, i) => {
    if (i > 0) out.byte(0x2c);
    writeItem(item);
  });
  out.byte(0x5d);
}

function writeStruct(out: ByteWriter, struct: GoStruct, record: GoRecord): void {
  out.byte(0x7b);
  let first = true;
  for (const field of struct.fields) {
    const value = record[field.key] ?? zeroValue(field.type);
    if (field.omitEmpty && isEmpty(value)) continue;
    if (!first) out.byte(0x2c);
    first = false;
    writeGoString(out, field.key);
    out.byte(0x3a);
    writeValue(out, field.type, value);
  }
  out.byte(0x7d);
}

/** `json.Marshal` of a value of `type`. */
export function encodeGo(type: GoType, value: GoValue): Uint8Array {
  const out = new ByteWriter();
  writeValue(out, type, value);
  return out.toBytes();
}
