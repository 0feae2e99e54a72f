/** `shale prune`: remove untagged images, expired partial downloads and unreferenced content. */
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { humanSize } from '../format.ts';

export function registerPrune(program: Command, context: CliContext): void {
  program
    .command('prune')
    .description('remove dangling images and content nothing references')
    .option('--all', 'remove every untagged image, not only those that are nobody’s parent')
    .option('--dry-run', 'list what would be removed, and the bytes, without removing it')
    .action(async (flags: { all?: boolean; dryRun?: boolean }) => {
      const { prune } = await import('../../store/index.ts');
      const result = await prune(await context.store(), { all: flags.all, dryRun: flags.dryRun });
      const verb = flags.dryRun ? 'Would remove' : 'Removed';
      for (const id of result.images) process.stdout.write(`${verb} image: ${id}\n`);
      for (const id of result.layers) process.stdout.write(`${verb} layer: ${id}\n`);
      for (const id of result.blobs) process.stdout.write(`${verb} blob: ${id}\n`);
      if (result.ingests > 0)
        process.stdout.write(`${verb} ${result.ingests} expired partial download(s)\n`);
      process.stdout.write(
        `Total ${flags.dryRun ? 'reclaimable' : 'reclaimed'} space: ${humanSize(result.bytes)}\n`,
      );
    });
}
