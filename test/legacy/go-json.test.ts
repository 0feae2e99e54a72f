// Go encoding/json behaviour the legacy IDs depend on: string escaping, compaction of raw values,
// invalid UTF-8, map key order, struct field matching, RFC 3339 times and indentation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isShaleError } from '../../src/core/errors.ts';
import { formatGoDate, formatGoTime, parseGoTime } from '../../src/core/index.ts';
import { indentJson } from '../../src/legacy/go-json/indent.ts';
import { parseGoJson } from '../../src/legacy/go-json/parse.ts';
import {
  marshalRawObject,
  parseRawObject,
  rawGoString,
} from '../../src/legacy/go-json/raw-object.ts';
import { decodeGoStruct, encodeGo } from '../../src/legacy/go-json/struct-codec.ts';
import { V1_IMAGE } from '../../src/legacy/v1-image-structs.ts';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (data: Uint8Array): string => new TextDecoder().decode(data);

test('Go string escaping: short forms for \\n \\r \\t, lowercase \\u00XX, HTML-safe', () => {
  assert.equal(
    text(rawGoString('a"\\\n\r\t\b\f\u0001<>&\u2028\u2029é😀\ud800')),
    '"a\\"\\\\\\n\\r\\t\\u0008\\u000c\\u0001\\u003c\\u003e\\u0026\\u2028\\u2029é😀\\ufffd"',
  );
});

test('raw values are compacted but otherwise kept byte for byte, invalid UTF-8 included', () => {
  const source = new Uint8Array([
    ...bytes('{ "k" : [ 1.0e+2 , "\\u00e9 \\/ x", true,null ],"s":"'),
    0xff,
    0xe2,
    0x80,
    0xa8,
    ...bytes('"}'),
  ]);
  const out = marshalRawObject(parseRawObject(source, 'doc'));
  assert.deepEqual(
    out,
    new Uint8Array([
      ...bytes('{"k":[1.0e+2,"\\u00e9 \\/ x",true,null],"s":"'),
      0xff,
      ...bytes('\\u2028"}'),
    ]),
  );
});

test('keys are unquoted the Go way: invalid UTF-8 and lone surrogates become U+FFFD', () => {
  const source = new Uint8Array([...bytes('{"a'), 0xe2, 0x80, ...bytes('b":1,"\\ud800x":2}')]);
  const members = parseRawObject(source, 'doc');
  assert.deepEqual([...members.keys()], ['a\ufffd\ufffdb', '\ufffdx']);
});

test('the parser rejects what Go rejects', () => {
  for (const bad of [
    '',
    '{',
    '{"a":01}',
    '{"a":1.}',
    '[1,]',
    '"\u0001"',
    '"\\x"',
    'nul',
    '{} {}',
    '\ufeff{}',
  ]) {
    assert.throws(
      () => parseGoJson(bytes(bad), 'doc'),
      (err) => isShaleError(err, 'ERR_INVALID_ARGUMENT'),
      bad,
    );
  }
  assert.equal(parseGoJson(bytes(' \t\r\n{}\n'), 'doc').kind, 'object');
});

test('struct decoding: case-insensitive keys (exact preferred), null keeps, repeats merge', () => {
  const image = decodeGoStruct(
    V1_IMAGE,
    parseGoJson(
      bytes(
        '{"ID":"upper","id":"exact","OS":null,"os":"linux","Config":{"Env":["a","b"]},' +
          '"config":{"Env":[null],"Cmd":"sh"},"\u212aDocker_version":1}',
      ),
      'doc',
    ),
    'doc',
  );
  assert.equal(image.id, 'exact');
  assert.equal(image.os, 'linux');
  const config = image.config as { Env: string[]; Cmd: string[] };
  assert.deepEqual(config.Env, ['a']);
  assert.deepEqual(config.Cmd, ['sh']);
  assert.match(
    text(encodeGo({ struct: V1_IMAGE }, image)),
    /^\{"id":"exact","created":"0001-01-01T00:00:00Z"/,
  );
});

test('RFC 3339 times: parsed as Go parses, printed as RFC3339Nano', () => {
  const cases: [string, string][] = [
    ['2015-08-19T16:49:11.368300679Z', '2015-08-19T16:49:11.368300679Z'],
    ['2015-08-19T16:49:11.3683006791234Z', '2015-08-19T16:49:11.368300679Z'],
    ['2015-08-19T16:49:11.100000000+00:00', '2015-08-19T16:49:11.1Z'],
    ['2016-02-29T00:00:00-00:00', '2016-02-29T00:00:00Z'],
    ['2015-08-19T16:49:11-07:30', '2015-08-19T16:49:11-07:30'],
  ];
  for (const [input, output] of cases) assert.equal(formatGoTime(parseGoTime(input)), output);
  for (const bad of [
    '2015-02-29T00:00:00Z',
    '2015-08-19T24:00:00Z',
    '2015-08-19 16:49:11Z',
    '2015-8-19T16:49:11Z',
  ]) {
    assert.throws(
      () => parseGoTime(bad),
      (err) => isShaleError(err, 'ERR_INVALID_ARGUMENT'),
      bad,
    );
  }
});

test("indentation matches Go's MarshalIndent", () => {
  assert.equal(
    text(indentJson(bytes('{"a":[],"b":[{"c":"x,{"}],"d":{}}'), '>', '  ')),
    '{\n>  "a": [],\n>  "b": [\n>    {\n>      "c": "x,{"\n>    }\n>  ],\n>  "d": {}\n>}',
  );
});

test('a JavaScript date prints as Go prints the same instant (trailing zeros trimmed)', () => {
  assert.equal(formatGoDate(new Date('2026-12-07T07:09:58.440Z')), '2026-12-07T07:09:58.44Z');
  assert.equal(formatGoDate(new Date('2026-12-07T07:09:58.000Z')), '2026-12-07T07:09:58Z');
  assert.equal(formatGoDate(new Date('2026-12-07T07:09:58.123Z')), '2026-12-07T07:09:58.123Z');
});
