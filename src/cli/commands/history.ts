/** `shale history REF`: an image's build steps, newest first. */
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { humanAge, humanSize, printJson, table } from '../format.ts';

export function registerHistory(program: Command, context: CliContext): void {
  program
    .command('history')
    .description("show an image's history, newest first")
    .argument('<image>', 'reference, ID or ID prefix')
    .option('--json', 'print [{Id, Created, CreatedBy, Size, Comment, EmptyLayer}]')
    .action(async (name: string, flags: { json?: boolean }) => {
      const { imageHistory, resolveImage } = await import('../../store/index.ts');
      const store = await context.store();
      const items = await imageHistory(store, await resolveImage(store, name));
      if (flags.json) return printJson(items);
      const rows = [['IMAGE', 'CREATED', 'CREATED BY', 'SIZE', 'COMMENT']];
      for (const item of items) {
        const id = item.Id === '<missing>' ? item.Id : item.Id.slice(7, 19);
        const by = item.CreatedBy.length > 45 ? `${item.CreatedBy.slice(0, 44)}…` : item.CreatedBy;
        rows.push([id, humanAge(item.Created), by, humanSize(item.Size), item.Comment]);
      }
      process.stdout.write(table(rows));
    });
}
