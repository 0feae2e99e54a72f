/**
 * `shale rmi [-f] REF|ID...`: remove references and images with Docker's rules and words
 * (`Untagged: alpine:latest`, `Deleted: sha256:…` for the image, then for each layer that went;
 * then the same for each untagged parent it leaves behind, unless --no-prune),
 * freeing what nothing references any more. Each argument is tried; each failure is reported on
 * its own line and the exit status is 1.
 */
import type { Command } from 'commander';
import { ShaleError } from '../../core/index.ts';
import type { CliContext } from '../context.ts';
import { ReportedFailure } from '../reported.ts';

export function registerRmi(program: Command, context: CliContext): void {
  program
    .command('rmi')
    .description('remove images (by reference, ID or ID prefix)')
    .argument('<image...>', 'images to remove')
    .option('-f, --force', 'remove an image named by ID that has several references or children')
    .option('--no-prune', 'keep the untagged parents the removed image leaves behind')
    .action(async (names: string[], flags: { force?: boolean; prune: boolean }) => {
      const { removeImage } = await import('../../store/index.ts');
      const { removalReport } = await import('../../present/index.ts');
      const store = await context.store();
      let failed = false;
      for (const name of names) {
        try {
          const result = await removeImage(store, name, {
            force: flags.force,
            noPrune: !flags.prune,
          });
          for (const line of removalReport(result))
            process.stdout.write(
              'Untagged' in line ? `Untagged: ${line.Untagged}\n` : `Deleted: ${line.Deleted}\n`,
            );
        } catch (err) {
          if (!(err instanceof ShaleError)) throw err;
          process.stderr.write(`shale: ${err.message}\n`);
          failed = true;
        }
      }
      if (failed) throw new ReportedFailure();
    });
}
