/** Runs the built `shale` binary (dist/, made by `npm run build` before the tests). */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const SHALE_BIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

export function runShale(args: string[], input?: Buffer) {
  if (!existsSync(SHALE_BIN)) throw new Error(`${SHALE_BIN} is missing: run npm run build first`);
  const r = spawnSync(process.execPath, [SHALE_BIN, ...args], { input, encoding: 'buffer' });
  return { status: r.status, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8') };
}
