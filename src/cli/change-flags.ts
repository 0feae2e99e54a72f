/** The flags `commit` and `import` share, as docker's: `-c/--change` (repeatable), `-m/--message`. */
import type { Command } from 'commander';

export interface ChangeFlags {
  change: string[];
  message?: string;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Add `-c/--change` and `-m/--message` (`message` says what the message becomes). */
export function withChangeFlags(command: Command, message: string): Command {
  return command
    .option(
      '-c, --change <instruction>',
      'apply a Dockerfile instruction (CMD, ENTRYPOINT, ENV, EXPOSE, HEALTHCHECK, LABEL, ONBUILD, USER, VOLUME, WORKDIR) to the config; repeatable',
      collect,
      [],
    )
    .option('-m, --message <text>', message);
}
