// The Go-template subset behind --format: expected strings follow Go's text/template and fmt
// rules (and docker/cli templates.go for docker's functions), written from those rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  compileTemplate,
  formatRows,
  parseDockerFormat,
  renderTemplate,
  tabwrite,
  TemplateError,
  TemplateExecError,
} from '../../src/cli/template/index.ts';

const data = {
  ID: 'abc',
  Tag: 'latest',
  Empty: '',
  Env: ['PATH=/usr/bin', 'A=1'],
  Labels: { tier: 'web', 'org.role': 'app' },
  Nested: { Deep: { Value: 7 } },
  Null: null,
  Zero: 0,
  Float: 0.5,
  Big: 1234567.5,
  Yes: true,
  Mixed: [1, 'two', null, { k: [true] }],
};

const render = (source: string) => renderTemplate(compileTemplate(source), data);

test('fields, nested fields and Go value printing', () => {
  assert.equal(render('{{.ID}}:{{.Tag}}'), 'abc:latest');
  assert.equal(render('{{.Nested.Deep.Value}}'), '7');
  assert.equal(render('{{.Env}}'), '[PATH=/usr/bin A=1]');
  assert.equal(render('{{.Labels}}'), 'map[org.role:app tier:web]'); // keys sorted
  assert.equal(render('{{.Null}}'), '<no value>');
  assert.equal(render('{{.Labels.missing}}'), '<no value>');
  assert.equal(render('{{.Null.Deeper}}'), '<no value>');
  assert.equal(render('{{.Mixed}}'), '[1 two <nil> map[k:[true]]]');
  assert.equal(render('{{.Float}} {{.Big}} {{.Yes}}'), '0.5 1.2345675e+06 true');
  assert.equal(render('{{.Nested}}'), 'map[Deep:map[Value:7]]');
});

test('json, join, split, upper, lower, title, pad, truncate, println', () => {
  assert.equal(render('{{json .Labels}}'), '{"tier":"web","org.role":"app"}');
  assert.equal(render('{{json .Null}} {{json "<&>"}}'), 'null "<&>"'); // no HTML escaping
  assert.equal(render('{{join .Env ","}}'), 'PATH=/usr/bin,A=1');
  assert.equal(render('{{split "a:b:c" ":"}}'), '[a b c]');
  assert.equal(
    render('{{upper .Tag}} {{lower "ABC"}} {{title "hello wide-world"}}'),
    'LATEST abc Hello Wide-World',
  );
  assert.equal(render('[{{pad .ID 2 1}}][{{pad .Empty 2 1}}]'), '[  abc ][]');
  assert.equal(render('{{truncate .Tag 3}} {{truncate .ID 10}}'), 'lat abc');
  assert.equal(render('{{println .ID .Zero}}'), 'abc 0\n');
  assert.equal(render('{{print 1 2 "x" 3}}'), '1 2x3'); // Sprint: spaces only between non-strings
});

test('pipelines, parentheses, index, len, comparisons, $', () => {
  assert.equal(render('{{.Tag | upper}}'), 'LATEST');
  assert.equal(render('{{.Labels | json}}'), '{"tier":"web","org.role":"app"}');
  // the piped value is the last argument: strings.Split("x,a,b", "a,b") = ["x," ""]
  assert.equal(render('{{"a,b" | split "x,a,b" | len}}'), '2');
  assert.equal(
    render('{{(index .Env 1)}} {{index .Labels "tier"}} {{index .Labels "nope"}}|'),
    'A=1 web |',
  );
  assert.equal(render('{{len .Env}} {{len .Labels}} {{len .ID}}'), '2 2 3');
  assert.equal(
    render('{{eq .Tag "latest"}} {{ne .Zero 0}} {{lt 1 2}} {{eq .Tag "a" "latest"}}'),
    'true false true true',
  );
  assert.equal(render('{{and .ID .Empty}}|{{or .Empty .ID}}|{{not .Zero}}'), '|abc|true');
  assert.equal(render('{{$.ID}}{{with .Nested}}{{$.Tag}}{{end}}'), 'abclatest');
});

test('if / else if / else, with, range, trim markers and comments', () => {
  assert.equal(render('{{if .Empty}}a{{else if .Zero}}b{{else}}c{{end}}'), 'c');
  assert.equal(render('{{if .Env}}yes{{end}}{{if .Null}}no{{end}}'), 'yes');
  assert.equal(render('{{with .Nested.Deep}}{{.Value}}{{else}}none{{end}}'), '7');
  assert.equal(render('{{with .Null}}x{{else}}none{{end}}'), 'none');
  assert.equal(render('{{range .Env}}<{{.}}>{{end}}'), '<PATH=/usr/bin><A=1>');
  assert.equal(render('{{range .Labels}}{{.}},{{end}}'), 'app,web,'); // by sorted key
  assert.equal(render('{{range .Null}}x{{else}}empty{{end}}'), 'empty');
  assert.equal(render('a  {{- .ID -}}  b {{/* a comment */}}c'), 'aabcb c');
});

test('unsupported features and syntax errors are TemplateErrors, data errors TemplateExecErrors', () => {
  for (const bad of [
    '{{printf "%s" .ID}}',
    '{{$x := .ID}}',
    '{{define "x"}}{{end}}',
    '{{template "x"}}',
    '{{range .Env}}{{break}}{{end}}',
    '{{nosuchfunc .ID}}',
    '{{.ID',
    '{{if .ID}}',
    '{{end}}',
    '{{}}',
    "{{'c'}}",
  ])
    assert.throws(() => compileTemplate(bad), TemplateError, bad);
  assert.match(
    (() => {
      try {
        compileTemplate('{{printf "x"}}');
      } catch (err) {
        return (err as Error).message;
      }
      return '';
    })(),
    /^template: function "printf" is not supported by shale/,
  );
  for (const bad of [
    '{{.Nope}}',
    '{{.ID.Field}}',
    '{{join .ID ","}}',
    '{{index .Env 5}}',
    '{{.ID 1}}',
  ])
    assert.throws(() => render(bad), TemplateExecError, bad);
});

test('docker formats: table header from the column names, \\t escapes, tabwriter padding', () => {
  const header = { ID: 'IMAGE ID', Tag: 'TAG' };
  const rows = [
    { ID: 'abc', Tag: 'latest' },
    { ID: 'abcdefabcdef', Tag: '1' },
  ];
  assert.equal(
    formatRows(parseDockerFormat('table {{.ID}}\\t{{.Tag}}'), rows, header),
    'IMAGE ID       TAG\nabc            latest\nabcdefabcdef   1\n',
  );
  // not a table: no header, each row and a newline
  assert.equal(
    formatRows(parseDockerFormat('{{.ID}}\\t{{.Tag}}'), rows, header),
    'abc\tlatest\nabcdefabcdef\t1\n',
  );
  // an empty listing still prints the header of a table
  assert.equal(formatRows(parseDockerFormat('table {{.Tag}}'), [], header), 'TAG\n');
  // docker's header functions leave names alone; a field missing from the header is <no value>
  assert.equal(
    formatRows(parseDockerFormat('table {{upper .Tag}}\\t{{.Other}}'), [], header),
    'TAG       <no value>\n', // TAG + 3 is under the minimum width 10
  );
});

test('tabwriter: minimum width 10, padding 3, column blocks, last cell not padded', () => {
  assert.equal(tabwrite('a\tb\n'), 'a         b\n');
  assert.equal(
    tabwrite('aaaaaaaaaaaa\tb\tc\nx\ty\tz\n'),
    'aaaaaaaaaaaa   b         c\nx              y         z\n',
  );
  // a line without the column ends the block: the next block is aligned on its own
  assert.equal(
    tabwrite('aaaaaaaaaaaaaaa\tb\nplain\nc\td\n'),
    'aaaaaaaaaaaaaaa   b\nplain\nc         d\n',
  );
  assert.equal(tabwrite('é\tx\n'), 'é         x\n'); // width in characters, not bytes
});
