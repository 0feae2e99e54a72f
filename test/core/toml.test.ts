// The TOML subset registries.conf needs: tables, arrays of tables (nested under the last
// element), strings (basic with escapes, literal), booleans, one-line arrays and comments; and a
// `shale:`-style error naming the line for everything else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isShaleError } from '../../src/core/errors.ts';
import { parseToml } from '../../src/core/toml.ts';

test('reads the registries.conf shape', () => {
  const text = `# mirrors
[[registry]]
prefix = "docker.io"   # Docker Hub
insecure = false

[[registry.mirror]]
location = 'mirror.example.com/hub'
[[registry.mirror]]
location = "127.0.0.1:5001"
insecure = true

[[registry]]
"location" = "quay.io/team"
[other]
list = [ "a", 'b\\c', true, ]
escaped = "tab\\there \\"q\\" \\u00e9"
`;
  assert.deepEqual(parseToml(text, 'conf'), {
    registry: [
      {
        prefix: 'docker.io',
        insecure: false,
        mirror: [
          { location: 'mirror.example.com/hub' },
          { location: '127.0.0.1:5001', insecure: true },
        ],
      },
      { location: 'quay.io/team' },
    ],
    other: { list: ['a', 'b\\c', true], escaped: 'tab\there "q" é' },
  });
});

test('dotted table headers nest', () => {
  assert.deepEqual(parseToml('[a.b]\nc = "d"\n[a]\ne = true', 'x'), {
    a: { b: { c: 'd' }, e: true },
  });
});

const refused: [string, RegExp][] = [
  ['port = 5000', /line 1: unsupported value "5000"/],
  ['when = 1979-05-27', /unsupported value/],
  ['a = { b = "c" }', /inline tables are not supported/],
  ['a.b = "c"', /dotted keys are not supported/],
  ['a = """x"""', /multi-line strings are not supported/],
  ['a = [\n"x"]', /line 1: arrays must close on the line they open/],
  ['a = "x', /unterminated string/],
  ['a = "\\q"', /unknown escape/],
  ['a = "x" b', /unexpected text after the value/],
  ['a = "x"\na = "y"', /line 2: "a" is set twice/],
  ['[t]\n[t]', /line 2: table \[t\] is defined twice/],
  ['a = "x"\n[[a]]', /"a" is not an array of tables/],
  ['[t', /expected "]"/],
  ['= "x"', /expected a key/],
  ['__proto__ = "x"', /not allowed as a key/],
];

for (const [text, message] of refused) {
  test(`refuses ${JSON.stringify(text)}`, () => {
    assert.throws(
      () => parseToml(text, 'my.conf'),
      (err: unknown) =>
        isShaleError(err, 'ERR_INVALID_ARGUMENT') &&
        message.test(err.message) &&
        err.message.startsWith('my.conf line'),
    );
  });
}
