// Every listing flag of `images`, `history` and `inspect` through the built binary, on a store
// made here: an imported base (two tags), an untagged commit on it (a parent), a labelled commit
// on that (tagged), and a dangling commit. Expectations come from the IDs the commands printed
// and docker's documented behaviour (the docker peer test compares with docker itself).
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runShale } from '../helpers/shale.ts';

const example = fileURLToPath(new URL('../../examples/rootfs', import.meta.url));
const work = mkdtempSync(path.join(tmpdir(), 'shale-listing-'));
const root = path.join(work, 'store');
let base: string;
let middle: string;
let app: string;
let loose: string;

function shale(...args: string[]): string {
  const r = runShale(['--root', root, ...args]);
  assert.equal(r.status, 0, `shale ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function commitOn(image: string, file: string, ...flags: string[]): string {
  const tree = mkdtempSync(path.join(work, 'tree-'));
  shale('checkout', image, `${tree}/t`);
  writeFileSync(path.join(tree, 't', file), `${file}\n`);
  return shale('commit', `${tree}/t`, ...flags).trim();
}

const short = (id: string) => id.slice(7, 19);
const lines = (text: string) => text.split('\n').filter((l) => l !== '');

before(() => {
  base = shale('import', example, 'example/base:1').trim();
  shale('tag', 'example/base:1', 'mirror.example.com/base:v1');
  middle = commitOn('example/base:1', 'middle', '-m', 'the middle step');
  app = commitOn(middle, 'app', '-c', 'LABEL tier=web role=app', 'example/app:1');
  loose = commitOn('example/base:1', 'loose', '-c', 'LABEL tier=db');
});

test('images hides untagged parents unless -a; -q prints one ID per row', () => {
  assert.deepEqual(
    lines(shale('images', '-q')).sort(),
    [short(app), short(base), short(base), short(loose)].sort(),
  );
  assert.deepEqual(
    lines(shale('images', '-a', '-q', '--no-trunc')).sort(),
    [app, base, base, loose, middle].sort(),
  );
  const table = shale('images', '-a');
  assert.match(table, /^REPOSITORY +TAG +IMAGE ID +CREATED +SIZE$/m);
  assert.match(
    table,
    new RegExp(`^<none> +<none> +${short(middle)} +\\d+ seconds? ago +\\S+$`, 'm'),
  );
  assert.match(table, new RegExp(`^mirror\\.example\\.com/base +v1 +${short(base)} `, 'm'));
  // --json lists what images lists
  const listed = (JSON.parse(shale('images', '--json')) as { Id: string }[]).map((i) => i.Id);
  assert.deepEqual(listed.sort(), [app, base, loose].sort());
  assert.equal((JSON.parse(shale('images', '-a', '--json')) as unknown[]).length, 4);
});

test('images --digests and --no-trunc', () => {
  const table = shale('images', '--digests', '--no-trunc');
  assert.match(table, /^REPOSITORY +TAG +DIGEST +IMAGE ID +CREATED +SIZE$/m);
  assert.match(table, new RegExp(`^example/app +1 +<none> +${app} `, 'm'));
  // a table format gains a DIGEST column with --digests
  assert.equal(
    shale('images', 'example/app', '--digests', '--format', 'table {{.Tag}}'),
    'TAG       DIGEST\n1         <none>\n',
  );
});

test('images --filter and the REPO[:TAG] argument', () => {
  const ids = (...args: string[]) => lines(shale('images', '--no-trunc', '-q', ...args)).sort();
  assert.deepEqual(ids('--filter', 'dangling=true'), [loose]);
  assert.deepEqual(ids('-a', '--filter', 'dangling=false'), [app, base, base].sort());
  assert.deepEqual(ids('--filter', 'label=tier'), [app, loose].sort());
  assert.deepEqual(ids('--filter', 'label=tier=web', '--filter', 'label=role'), [app]);
  assert.deepEqual(ids('--filter', 'reference=example/*'), [app, base].sort());
  assert.deepEqual(ids('-f', 'reference=*/base:v?'), [base]);
  assert.deepEqual(ids('example/base'), [base]);
  assert.deepEqual(ids('--filter', `before=${short(app)}`), [base, base]); // middle: a parent
  assert.deepEqual(ids('-a', '--filter', 'since=example/base:1'), [app, loose, middle].sort());
  const bad = (args: string[], status: number, message: RegExp) => {
    const r = runShale(['--root', root, 'images', ...args]);
    assert.equal(r.status, status, r.stderr);
    assert.match(r.stderr, message);
  };
  bad(['--filter', 'color=red'], 1, /^shale: invalid filter 'color'/);
  bad(['--filter', 'dangling=maybe'], 1, /^shale: invalid filter 'dangling=maybe'/);
  bad(['--filter', 'label'], 2, /^shale: bad format of filter 'label' \(expected name=value\)/);
  bad(['--filter', 'before=nope'], 1, /^shale: no such image: nope/);
  bad(['--filter', 'reference=['], 1, /^shale: syntax error in glob pattern/);
});

test('images --format: fields, json, table, and template errors', () => {
  assert.equal(
    shale('images', 'example/app', '--format', '{{.Repository}}:{{.Tag}}'),
    'example/app:1\n',
  );
  const row = JSON.parse(shale('images', 'example/app', '--format', '{{json .}}')) as Record<
    string,
    string
  >;
  assert.deepEqual(Object.keys(row), [
    'Containers',
    'CreatedAt',
    'CreatedSince',
    'Digest',
    'ID',
    'Repository',
    'SharedSize',
    'Size',
    'Tag',
    'UniqueSize',
    'VirtualSize',
  ]);
  assert.equal(row.ID, short(app));
  assert.equal(row.Containers, 'N/A');
  assert.match(row.CreatedAt!, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4} \S+$/);
  assert.equal(
    shale('images', 'example/base', '--format', 'table {{.ID}}\\t{{.Tag}}'),
    `IMAGE ID       TAG\n${short(base)}   1\n`,
  );
  const usage = runShale(['--root', root, 'images', '--format', '{{printf "%s" .ID}}']);
  assert.equal(usage.status, 2);
  assert.match(usage.stderr, /^shale: template: function "printf" is not supported by shale/);
  const exec = runShale(['--root', root, 'images', '--format', '{{.Nope}}']);
  assert.equal(exec.status, 1);
  assert.match(exec.stderr, /^shale: template: can't evaluate field Nope/);
  assert.equal(runShale(['--root', root, 'images', '--format', '{{.ID}}', '--json']).status, 2);
});

test('history: IDs along the parent chain, -q, --no-trunc, -H=false, --format', () => {
  assert.deepEqual(lines(shale('history', '-q', 'example/app:1')), [app, middle, base].map(short));
  assert.deepEqual(lines(shale('history', '-q', '--no-trunc', 'example/app:1')), [
    app,
    middle,
    base,
  ]);
  const machine = lines(shale('history', '-H=false', 'example/app:1'));
  assert.match(machine[0]!, /^IMAGE +CREATED AT +CREATED BY +SIZE +COMMENT$/);
  assert.match(
    machine[2]!,
    new RegExp(
      `^${short(middle)} +\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(Z|[+-]\\d\\d:\\d\\d) +\\S.* +\\d+ +the middle step$`,
    ),
  );
  assert.equal(
    lines(shale('history', '--human=false', '--format', '{{.Size}}', 'example/app:1')).every((s) =>
      /^\d+$/.test(s),
    ),
    true,
  );
  assert.match(shale('history', '--format', '{{.CreatedSince}}', middle), /^\d+ seconds? ago\n/);
  assert.equal(
    shale('history', '--format', '{{.ID}}|{{.Comment}}', middle).split('\n')[0],
    `${short(middle)}|the middle step`,
  );
  const bad = runShale(['--root', root, 'history', '-H=maybe', middle]);
  assert.equal(bad.status, 2);
});

test('inspect -f / --format and --type image', () => {
  assert.equal(
    shale('inspect', '-f', '{{.Id}} {{.Parent}}', 'example/app:1'),
    `${app} ${middle}\n`,
  );
  assert.equal(
    shale('inspect', '--format', '{{.Config.Labels}}', 'example/app:1'),
    'map[role:app tier:web]\n',
  );
  assert.equal(
    shale('inspect', '--type', 'image', '-f', '{{json .RootFS.Type}}', base),
    '"layers"\n',
  );
  assert.equal(shale('inspect', '-f', '{{.Id}}', base, 'example/app:1'), `${base}\n${app}\n`);
  const partly = runShale(['--root', root, 'inspect', '-f', '{{.Id}}', base, 'nope']);
  assert.equal(partly.status, 1);
  assert.equal(partly.stdout, `${base}\n`);
  assert.match(partly.stderr, /^shale: no such image: nope/);
  const type = runShale(['--root', root, 'inspect', '--type', 'container', base]);
  assert.equal(type.status, 2);
  assert.match(type.stderr, /^shale: "container" is not a valid value for --type/);
  const bad = runShale(['--root', root, 'inspect', '-f', '{{.Id', base]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /^shale: template: unclosed action/);
});
