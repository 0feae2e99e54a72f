/**
 * Runs `npm run demo`'s script (through tsx: it starts the test registry launcher) into `out`;
 * several tests use its image layout and store as fixtures. Returns what it printed.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../..', import.meta.url));

export function runDemo(out: string): string {
  return execFileSync(
    process.execPath,
    ['--import', 'tsx', path.join(repo, 'scripts', 'demo.mjs'), out],
    { encoding: 'utf8' },
  );
}
