/** `shale checkout`, `shale diff`, `shale commit`: working trees made from images and back. */
import type { Command } from 'commander';
import { withChangeFlags, type ChangeFlags } from '../change-flags.ts';
import type { CliContext } from '../context.ts';
import { printJson } from '../format.ts';

const KIND_CODES = { C: 0, A: 1, D: 2 } as const;

export function registerWorktree(program: Command, context: CliContext): void {
  program
    .command('checkout')
    .description('write an image into DIR (absent or empty) as a working tree to change and commit')
    .argument('<image>', 'reference, ID or ID prefix')
    .argument('<dir>', 'target directory')
    .action(async (name: string, dir: string) => {
      const { resolveImage } = await import('../../store/index.ts');
      const { checkout } = await import('../../trees/index.ts');
      const store = await context.store();
      await checkout(store, await resolveImage(store, name), dir, (w) =>
        process.stderr.write(`shale: warning: ${w.message}\n`),
      );
    });

  program
    .command('diff')
    .description('list what changed in a checked-out working tree (C modified, A added, D deleted)')
    .argument('<dir>', 'working tree made by shale checkout')
    .option('--json', 'print [{Path, Kind}] with Kind 0 = modified, 1 = added, 2 = deleted')
    .action(async (dir: string, flags: { json?: boolean }) => {
      const { diffWorktree } = await import('../../trees/index.ts');
      const { byteStringToDisplay } = await import('../../archive/index.ts');
      const changes = await diffWorktree(await context.store(), dir);
      if (flags.json)
        return printJson(
          changes.map((c) => ({ Path: byteStringToDisplay(c.path), Kind: KIND_CODES[c.kind] })),
        );
      for (const c of changes) process.stdout.write(`${c.kind} ${byteStringToDisplay(c.path)}\n`);
    });

  withChangeFlags(
    program
      .command('commit')
      .description("commit a working tree's changes as a new image (one new layer)")
      .argument('<dir>', 'working tree made by shale checkout')
      .argument('[ref]', 'reference to tag the new image with')
      .option('-a, --author <name>', 'author of the image (e.g. "Jane <jane@example.com>")'),
    'comment of the history entry',
  ).action(
    async (dir: string, ref: string | undefined, flags: ChangeFlags & { author?: string }) => {
      const { parseDockerRef } = await import('../../core/index.ts');
      const { commitWorktree } = await import('../../trees/index.ts');
      const reference = ref === undefined ? undefined : parseDockerRef(ref);
      const id = await commitWorktree(await context.store(), dir, {
        reference,
        comment: flags.message,
        author: flags.author,
        changes: flags.change,
      });
      process.stdout.write(`${id}\n`);
    },
  );
}
