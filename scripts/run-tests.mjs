#!/usr/bin/env node
// Runs every test/**/*.test.ts with Node's own test runner through tsx (Node 20's --test takes no
// globs). Extra arguments are passed to the runner, e.g. --test-name-pattern=tarsum.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function testFiles(dir) {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((d) => {
      const full = path.join(dir, d.name);
      if (d.isDirectory()) return d.name === 'fixtures' ? [] : testFiles(full);
      return d.name.endsWith('.test.ts') ? [path.relative(root, full)] : [];
    })
    .sort();
}

const files = testFiles(path.join(root, 'test'));
const args = [
  '--import',
  'tsx',
  '--test',
  '--test-concurrency=2',
  ...process.argv.slice(2),
  ...files,
];
// The peers are installed (ensure-test-packages.ts) and the run is root's: a peer test that
// finds none fails instead of skipping (test/helpers/docker-daemon.ts).
const env = { ...process.env, SHALE_TEST_PEERS_REQUIRED: '1' };
const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', env });
process.exit(r.status ?? 1);
