/**
 * `shale prune [-a] [-f] [--filter until=…] [--dry-run]`: remove untagged images, expired partial
 * downloads and unreferenced content, reported in docker image prune's words (`Deleted Images:`,
 * `untagged: …`, `deleted: sha256:…` for each image and then each of its layers that went, and
 * `Total reclaimed space: …`). `-f` is accepted for docker's habit: shale never asks.
 */
import type { Command } from 'commander';
import { ShaleError } from '../../core/index.ts';
import type { CliContext } from '../context.ts';
import { humanSize } from '../format.ts';

interface PruneFlags {
  all?: boolean;
  dryRun?: boolean;
  force?: boolean;
  filter?: string[];
}

/** The `until` of `--filter until=…` (ms since the epoch); any other filter is refused. */
async function untilOf(filters: readonly string[]): Promise<number | undefined> {
  const { parseDockerTimestamp } = await import('../../core/index.ts');
  let until: number | undefined;
  for (const filter of filters) {
    const [key, value] = [
      filter.slice(0, filter.indexOf('=')),
      filter.slice(filter.indexOf('=') + 1),
    ];
    if (key !== 'until' || !filter.includes('='))
      throw new ShaleError(
        'ERR_INVALID_ARGUMENT',
        `invalid filter '${key || filter}' (prune takes until=TIME)`,
      );
    if (until !== undefined)
      throw new ShaleError('ERR_INVALID_ARGUMENT', 'more than one until filter specified');
    until = parseDockerTimestamp(value);
  }
  return until;
}

export function registerPrune(program: Command, context: CliContext): void {
  program
    .command('prune')
    .description('remove dangling images and content nothing references')
    .option('-a, --all', 'remove every untagged image, not only those that are nobody’s parent')
    .option('-f, --force', 'accepted for docker’s habit (shale never asks for confirmation)')
    .option(
      '--filter <until=TIME>',
      'only images created before TIME: a duration ago (24h), an RFC 3339 time or a Unix time',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option('--dry-run', 'list what would be removed, and the bytes, without removing it')
    .action(async (flags: PruneFlags) => {
      const { familiarString, parseDockerRef } = await import('../../core/index.ts');
      const { prune } = await import('../../store/index.ts');
      const until = await untilOf(flags.filter ?? []);
      const result = await prune(await context.store(), {
        all: flags.all,
        dryRun: flags.dryRun,
        until,
      });
      const lines: string[] = [];
      for (const image of result.removed) {
        for (const ref of image.untagged)
          lines.push(`untagged: ${familiarString(parseDockerRef(ref))}`);
        lines.push(`deleted: ${image.id}`, ...image.layers.map((layer) => `deleted: ${layer}`));
      }
      const out = (line: string) => process.stdout.write(`${line}\n`);
      if (lines.length > 0) {
        out(flags.dryRun ? 'Would delete Images:' : 'Deleted Images:');
        lines.forEach(out);
        out('');
      }
      const { leftovers } = result;
      if (leftovers.count > 0)
        out(
          `${flags.dryRun ? 'Would delete' : 'Deleted'} ${leftovers.count} leftover(s) of interrupted commands (${humanSize(leftovers.bytes)})`,
        );
      out(`Total ${flags.dryRun ? 'reclaimable' : 'reclaimed'} space: ${humanSize(result.bytes)}`);
    });
}
