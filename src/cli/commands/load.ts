/** `shale load -i DIR`: load the images of an OCI image layout directory. */
import type { Command } from 'commander';
import { ShaleError } from '../../core/errors.ts';
import type { CliContext } from '../context.ts';
import { printJson } from '../format.ts';

interface LoadFlags {
  input?: string;
  name?: string;
  json?: boolean;
}

export function registerLoad(program: Command, context: CliContext): void {
  program
    .command('load')
    .description('load images from an OCI image layout directory (every blob verified)')
    .option('-i, --input <dir>', 'OCI image layout directory')
    .option('--name <repo>', 'repository for images named only by a tag')
    .option('--json', 'print [{Id, RepoTags}]')
    .action(async (flags: LoadFlags) => {
      if (!flags.input)
        throw new ShaleError('ERR_INVALID_ARGUMENT', 'load needs -i DIR (an OCI image layout)');
      const { familiarString, parseDockerRef } = await import('../../core/reference.ts');
      const { loadOciLayout } = await import('../../formats/oci-layout/index.ts');
      const loaded = await loadOciLayout(await context.store(), flags.input, { name: flags.name });
      if (flags.json) {
        printJson(
          loaded.map((l) => ({
            Id: l.id,
            RepoTags: l.references.map((r) => familiarString(parseDockerRef(r))),
          })),
        );
        return;
      }
      for (const image of loaded) process.stdout.write(`${image.id}\n`);
    });
}
