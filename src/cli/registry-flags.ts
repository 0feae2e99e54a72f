/**
 * Options shared by the commands that talk to registries (`pull`, `push`, `login`): plain HTTP
 * for hosts named with `--insecure` or in $SHALE_INSECURE_REGISTRIES (comma-separated), and the
 * progress flags.
 */
import type { Command } from 'commander';
import { ShaleError } from '../core/errors.ts';
import type { RegistryClientOptions } from '../registry/client.ts';

export interface RegistryFlags {
  insecure?: string[];
}

export interface ProgressFlags {
  quiet?: boolean;
  progress?: string;
}

export function withRegistryOptions(command: Command): Command {
  return command.option(
    '--insecure <host>',
    'reach this registry over plain HTTP (repeatable; loopback hosts always are)',
    (value: string, previous: string[] = []) => [...previous, value],
  );
}

export function withProgressOptions(command: Command): Command {
  return command
    .option('-q, --quiet', 'no progress output')
    .option('--progress <mode>', 'progress output: tty, plain or json (JSON lines on stderr)');
}

export function clientOptions(flags: RegistryFlags): RegistryClientOptions {
  const fromEnv = (process.env.SHALE_INSECURE_REGISTRIES ?? '')
    .split(',')
    .map((h) => h.trim())
    .filter((h) => h !== '');
  return { insecureHosts: [...fromEnv, ...(flags.insecure ?? [])] };
}

/** `--concurrency N`: a whole number from 1 to 32. */
export function parseConcurrency(text: string | undefined): number {
  const n = Number(text ?? '3');
  if (!Number.isInteger(n) || n < 1 || n > 32) {
    throw new ShaleError('ERR_INVALID_ARGUMENT', `--concurrency must be 1..32, not ${text}`);
  }
  return n;
}
