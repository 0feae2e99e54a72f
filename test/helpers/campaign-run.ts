/**
 * Runs the built `shale` CLI for the campaigns: always asynchronously and always under a time
 * limit (a child still running then is SIGKILLed and reported as timed out), optionally under the
 * kill hook (campaign-kill-hook.mjs), optionally SIGKILLed after a delay, optionally inside a new
 * PID namespace (`unshare --pid --fork --mount-proc`).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SHALE_BIN } from './shale.ts';

export const KILL_HOOK = fileURLToPath(new URL('./campaign-kill-hook.mjs', import.meta.url));
/** The CLI under test: this tree's build, or `$SHALE_CAMPAIGN_BIN` (e.g. an older build, to compare). */
const BIN = process.env.SHALE_CAMPAIGN_BIN || SHALE_BIN;

export interface CliOptions {
  /** Added to this process's environment. */
  env?: Record<string, string>;
  /** The child is SIGKILLed and `timedOut` set after this long (default 60 s). */
  timeoutMs?: number;
  /** Load the kill hook (its settings come through `env`). */
  hook?: boolean;
  /** SIGKILL the child this long after it started (a kill at a random time). */
  killAfterMs?: number;
  /** Run in a new PID namespace. */
  pidNamespace?: boolean;
}

export interface CliResult {
  args: string[];
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** True when the child was SIGKILLed (by killAfterMs or by the hook). */
  killed: boolean;
  ms: number;
}

/** `shale ARGS` as a user would type it, for reports. */
export function commandLine(args: string[]): string {
  return ['shale', ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a}'`)).join(' ');
}

export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const node = [...(options.hook ? ['--import', KILL_HOOK] : []), BIN, ...args];
  return options.pidNamespace
    ? spawnBounded('unshare', [...UNSHARE, process.execPath, ...node], args, options)
    : spawnBounded(process.execPath, node, args, options);
}

const UNSHARE = ['--pid', '--fork', '--mount-proc', '--kill-child'];

/**
 * `sh -c SCRIPT` in a new PID namespace, where `$SHALE` runs the CLI: for several commands
 * whose PIDs repeat those of another namespace.
 */
export function runInPidNamespace(script: string, options: CliOptions = {}): Promise<CliResult> {
  const env = { ...options.env, SHALE: `${process.execPath} ${BIN}` };
  const argv = [...UNSHARE, 'sh', '-c', script];
  return spawnBounded('unshare', argv, ['(sh -c)', script], { ...options, env });
}

function spawnBounded(
  command: string,
  argv: string[],
  args: string[],
  options: CliOptions,
): Promise<CliResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, {
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 60_000);
    const killer =
      options.killAfterMs === undefined
        ? undefined
        : setTimeout(() => child.kill('SIGKILL'), options.killAfterMs);
    child.on('error', reject);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      clearTimeout(killer);
      resolve({
        args,
        status,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        timedOut,
        // unshare reports a child killed by a signal as 128 + the signal's number
        killed: !timedOut && (signal === 'SIGKILL' || status === 137),
        ms: performance.now() - started,
      });
    });
  });
}

/** One line saying how a run ended, with the end of its stderr. */
export function outcome(r: CliResult): string {
  const how = r.timedOut
    ? `timed out after ${Math.round(r.ms)} ms`
    : r.signal !== null
      ? `killed by ${r.signal}`
      : `exit ${r.status}`;
  const tail = r.stderr.trim().split('\n').slice(-6).join(' | ');
  return `\`${commandLine(r.args)}\` ${how}${tail === '' ? '' : `: ${tail}`}`;
}
