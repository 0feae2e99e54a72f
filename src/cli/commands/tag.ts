/** `shale tag SRC DEST`: point a reference at a local image. */
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';

export function registerTag(program: Command, context: CliContext): void {
  program
    .command('tag')
    .description('create a reference DEST that names the image SRC')
    .argument('<src>', 'reference, ID or ID prefix of a local image')
    .argument('<dest>', 'new reference, e.g. registry:5000/repo:tag')
    .action(async (src: string, dest: string) => {
      const { parseDockerRef } = await import('../../core/index.ts');
      const { resolveImage } = await import('../../store/index.ts');
      const store = await context.store();
      const target = parseDockerRef(dest);
      await store.references.tag(target, await resolveImage(store, src));
    });
}
