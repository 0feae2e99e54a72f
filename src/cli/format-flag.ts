/**
 * docker's listing flags shared by `images`, `history` and `inspect`: `--format` parsed once
 * (a template that does not parse, or uses what shale does not support, is wrong usage: exit 2)
 * and `--json` refused beside it.
 */
import { CommanderError } from 'commander';
import { parseDockerFormat, TemplateError, type DockerFormat } from './template/index.ts';

/** Exit status of wrong usage (as program.ts). */
const EXIT_USAGE = 2;

export function usageError(message: string): CommanderError {
  return new CommanderError(EXIT_USAGE, 'shale.usage', message);
}

/** The parsed `--format`, or undefined when none was given. */
export function formatFlag(flags: { format?: string; json?: boolean }): DockerFormat | undefined {
  if (flags.format === undefined) return undefined;
  if (flags.json) throw usageError('--format and --json cannot be combined');
  return parseOrUsage(flags.format);
}

export function parseOrUsage(format: string): DockerFormat {
  try {
    return parseDockerFormat(format);
  } catch (err) {
    if (err instanceof TemplateError) throw usageError(err.message);
    throw err;
  }
}
