/** Runs the built `shale` binary (dist/, made by `npm run build` before the tests). */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const SHALE_BIN = fileURLToPath(new URL('../../dist/cli/shale.js', import.meta.url));

export interface ShaleRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

function checkBuilt(): void {
  if (!existsSync(SHALE_BIN)) throw new Error(`${SHALE_BIN} is missing: run npm run build first`);
}

export function runShale(args: string[], input?: Buffer): ShaleRun {
  checkBuilt();
  const r = spawnSync(process.execPath, [SHALE_BIN, ...args], { input, encoding: 'buffer' });
  return { status: r.status, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8') };
}

/**
 * Like runShale, without blocking this process: for tests whose servers (token server, fault
 * proxy) run in the test process itself. `env` is added to this process's environment.
 */
export function runShaleAsync(
  args: string[],
  options: { env?: Record<string, string> } = {},
): Promise<ShaleRun> {
  checkBuilt();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SHALE_BIN, ...args], {
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (status) =>
      resolve({
        status,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
  });
}

/** `shale --root ROOT ARGS…`, which must succeed: its stdout, trimmed, and its stderr. */
export function shaleIn(root: string, ...args: string[]): { stdout: string; stderr: string } {
  const r = runShale(['--root', root, ...args]);
  assert.equal(r.status, 0, `shale ${args.join(' ')}: ${r.stderr}`);
  return { stdout: r.stdout.trim(), stderr: r.stderr };
}

/** What `shale inspect --json REF` says of the image in ROOT: its ID and RepoDigests. */
export function inspectIn(root: string, ref: string): { Id: string; RepoDigests: string[] } {
  return (JSON.parse(shaleIn(root, 'inspect', '--json', ref).stdout) as never[])[0]!;
}
