/** `shale import TAR|DIR [REF]`: a root filesystem as a one-layer image. */
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';

export function registerImport(program: Command, context: CliContext): void {
  program
    .command('import')
    .description('create a one-layer image from a rootfs directory or tar (any compression)')
    .argument('<source>', 'directory or tar file')
    .argument('[ref]', 'reference to tag the image with')
    .action(async (source: string, ref: string | undefined) => {
      const { parseDockerRef } = await import('../../core/reference.ts');
      const { importRootfs } = await import('../../formats/rootfs-import.ts');
      const reference = ref === undefined ? undefined : parseDockerRef(ref);
      const id = await importRootfs(await context.store(), source, { reference });
      process.stdout.write(`${id}\n`);
    });
}
