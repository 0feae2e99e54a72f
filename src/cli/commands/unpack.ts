/** `shale unpack REF DIR`: write an image's root filesystem into DIR (absent or empty). */
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';

export function registerUnpack(program: Command, context: CliContext): void {
  program
    .command('unpack')
    .description("write an image's root filesystem into DIR (absent or empty), as private files")
    .argument('<image>', 'reference, ID or ID prefix')
    .argument('<dir>', 'target directory')
    .action(async (name: string, dir: string) => {
      const { resolveImage } = await import('../../store/index.ts');
      const { unpackImage } = await import('../../trees/index.ts');
      const store = await context.store();
      await unpackImage(store, await resolveImage(store, name), dir, {
        onWarning: (w) => process.stderr.write(`shale: warning: ${w.message}\n`),
      });
    });
}
