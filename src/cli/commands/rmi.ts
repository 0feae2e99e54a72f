/** `shale rmi`: remove references and images, freeing what nothing references any more. */
import type { Command } from 'commander';
import { ShaleError } from '../../core/errors.ts';
import type { CliContext } from '../context.ts';

export function registerRmi(program: Command, context: CliContext): void {
  program
    .command('rmi')
    .description('remove images (by reference, ID or ID prefix)')
    .argument('<image...>', 'images to remove')
    .option('-f, --force', 'remove an image that has several references or child images')
    .action(async (names: string[], flags: { force?: boolean }) => {
      const { removeImage } = await import('../../store/index.ts');
      const store = await context.store();
      const failures: string[] = [];
      for (const name of names) {
        try {
          const result = await removeImage(store, name, { force: flags.force });
          for (const ref of result.untagged) process.stdout.write(`Untagged: ${ref}\n`);
          for (const id of result.deleted) process.stdout.write(`Deleted: ${id}\n`);
        } catch (err) {
          if (!(err instanceof ShaleError)) throw err;
          process.stderr.write(`shale: ${name}: ${err.message}\n`);
          failures.push(name);
        }
      }
      if (failures.length > 0)
        throw new ShaleError('ERR_INVALID_ARGUMENT', `could not remove ${failures.join(', ')}`);
    });
}
