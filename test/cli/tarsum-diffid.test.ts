// The built `shale` binary: tarsum and diffid output, stdin, and the error/exit-code contract.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fixture } from '../helpers/fixtures.ts';
import { runShale } from '../helpers/shale.ts';

const LAYER_46AF = fixture(
  'tarsum',
  '46af0962ab5afeb5ce6740d4d91652e69206fc991fd5328c1a94d364ad00e457',
  'layer.tar',
);
const JSON_46AF = fixture(
  'tarsum',
  '46af0962ab5afeb5ce6740d4d91652e69206fc991fd5328c1a94d364ad00e457',
  'json',
);

test('shale tarsum prints the whole v1 checksum string by default', () => {
  const r = runShale(['tarsum', LAYER_46AF]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.equal(
    r.stdout,
    `${runShale(['tarsum', '--version', 'v1', '--variant', '2015', LAYER_46AF]).stdout}`,
  );
  assert.match(r.stdout, /^tarsum\.v1\+sha256:[0-9a-f]{64}\n$/);
});

test('shale tarsum matches the upstream vectors for --version v0 --extra and reads stdin', () => {
  const cases = JSON.parse(readFileSync(fixture('tarsum', 'expected.json'), 'utf8')) as {
    cases: { id: string; expected: string }[];
  };
  const want = (id: string) => cases.cases.find((c) => c.id === id)!.expected;
  assert.equal(runShale(['tarsum', LAYER_46AF]).stdout.trim(), want('46af-v1'));
  assert.equal(
    runShale(['tarsum', '--version', 'v0', '--extra', JSON_46AF, LAYER_46AF]).stdout.trim(),
    want('46af-v0-json'),
  );
  assert.equal(
    runShale(
      ['tarsum', '--version', 'dev', '--extra', JSON_46AF, '-'],
      readFileSync(LAYER_46AF),
    ).stdout.trim(),
    want('46af-dev-json'),
  );
  const collision = fixture('tarsum', 'collision', 'collision-0.tar');
  assert.equal(
    runShale(['tarsum', '--version', 'v0', '--variant', '2018', collision]).stdout.trim(),
    want('collision-0-v0-blanknames'),
  );
});

test('shale diffid hashes the decompressed stream whatever the compression', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'shale-cli-'));
  const plain = readFileSync(LAYER_46AF);
  const expected = `sha256:${createHash('sha256').update(plain).digest('hex')}\n`;
  for (const [tool, args] of [
    ['gzip', ['-c']],
    ['zstd', ['-q', '-c']],
    ['xz', ['-c']],
    ['bzip2', ['-c']],
  ] as const) {
    const compressed = spawnSync(tool, [...args], { input: plain });
    assert.equal(compressed.status, 0, `${tool} failed`);
    const file = path.join(dir, `layer.${tool}`);
    writeFileSync(file, compressed.stdout);
    const r = runShale(['diffid', file]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, expected, tool);
  }
  assert.equal(runShale(['diffid', LAYER_46AF]).stdout, expected);
  assert.equal(runShale(['diffid', '-'], plain).stdout, expected);
});

test('failures print `shale: …` and exit 1; wrong usage exits 2', () => {
  const missing = runShale(['tarsum', '/nonexistent/layer.tar']);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /^shale: cannot open \/nonexistent\/layer\.tar/);

  const garbage = runShale(['tarsum', '-'], Buffer.alloc(2048, 0x41));
  assert.equal(garbage.status, 1);
  assert.match(garbage.stderr, /^shale: invalid tar header/);
  assert.equal(garbage.stdout, '');

  const truncated = runShale(['tarsum', '-'], readFileSync(LAYER_46AF).subarray(0, 700));
  assert.equal(truncated.status, 1);
  assert.match(truncated.stderr, /^shale: unexpected end of tar archive/);

  for (const args of [
    ['tarsum', '--version', 'v7', LAYER_46AF],
    ['tarsum'],
    ['frobnicate'],
    ['tarsum', '--bogus', LAYER_46AF],
  ]) {
    const r = runShale(args);
    assert.equal(r.status, 2, args.join(' '));
    assert.match(r.stderr, /^shale: /, args.join(' '));
  }
});
