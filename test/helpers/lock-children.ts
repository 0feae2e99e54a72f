/** Starting and stopping the lock-child.ts processes of the lock, lease and scratch tests. */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** The command that runs lock-child.ts; append its mode and arguments. */
export const LOCK_CHILD = [
  process.execPath,
  '--import',
  'tsx',
  fileURLToPath(new URL('./lock-child.ts', import.meta.url)),
];

/** Prefix: run a command in a new PID namespace with its own /proc; killing unshare kills it. */
export const OTHER_PID_NAMESPACE = [
  'unshare',
  '--pid',
  '--fork',
  '--mount-proc',
  '--kill-child=SIGKILL',
];

/** Prefix: run a command as `nobody`. */
export const AS_NOBODY = ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups'];

/** A new directory that other users may enter. */
export function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'shale-lock-'));
  chmodSync(dir, 0o755);
  return dir;
}

/** Start `command` and resolve once it printed its first line (with that line). */
export async function startChild(
  command: string[],
  stdin: 'ignore' | 'pipe' = 'ignore',
): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(command[0]!, command.slice(1), { stdio: [stdin, 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const [line] = (await Promise.race([
    once(lines, 'line'),
    once(child, 'exit').then(([code]) => {
      throw new Error(`${command.join(' ')} exited with ${code} before answering`);
    }),
  ])) as [string];
  return { child, line };
}

/** SIGKILL `child` and wait until it is gone. */
export async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

/** Run `command` to its end (it must succeed); its standard output. */
export async function run(command: string[]): Promise<string> {
  const child = spawn(command[0]!, command.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  assert.equal(code, 0, `${command.join(' ')} failed:\n${out}`);
  return out;
}
