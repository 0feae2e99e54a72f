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
      const { namedManifestOf, resolveTarget } = await import('../../store/index.ts');
      const store = await context.store();
      const source = await resolveTarget(store, src);
      // As the source reference names it: the same manifest (or index), byte for byte.
      await store.references.tag(parseDockerRef(dest), source.image, namedManifestOf(source));
    });
}
