/** `shale import TAR|DIR [REF]`: a root filesystem as a one-layer image, configured as docker's. */
import type { Command } from 'commander';
import { withChangeFlags, type ChangeFlags } from '../change-flags.ts';
import type { CliContext } from '../context.ts';

export function registerImport(program: Command, context: CliContext): void {
  withChangeFlags(
    program
      .command('import')
      .description('create a one-layer image from a rootfs directory or tar (any compression)')
      .argument('<source>', 'directory or tar file')
      .argument('[ref]', 'reference to tag the image with'),
    'comment of the image (default "Imported from SOURCE")',
  ).action(async (source: string, ref: string | undefined, flags: ChangeFlags) => {
    const { parseDockerRef } = await import('../../core/index.ts');
    const { importRootfs } = await import('../../trees/index.ts');
    const reference = ref === undefined ? undefined : parseDockerRef(ref);
    const id = await importRootfs(await context.store(), source, {
      reference,
      changes: flags.change,
      message: flags.message,
    });
    process.stdout.write(`${id}\n`);
  });
}
