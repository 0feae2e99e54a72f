/** `shale images`: list local images (a table, or docker's JSON keys with --json). */
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { humanAge, humanSize, printJson, table } from '../format.ts';

function splitTag(short: string): [string, string] {
  const colon = short.lastIndexOf(':');
  return colon > short.lastIndexOf('/')
    ? [short.slice(0, colon), short.slice(colon + 1)]
    : [short, '<none>'];
}

export function registerImages(program: Command, context: CliContext): void {
  program
    .command('images')
    .description('list local images')
    .option('--json', 'print a JSON array')
    .action(async (flags: { json?: boolean }) => {
      const { listImages } = await import('../../store/index.ts');
      const images = await listImages(await context.store());
      if (flags.json) return printJson(images);
      const rows = [['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE']];
      for (const image of images) {
        const shortId = image.Id.slice(7, 19);
        const tags =
          image.RepoTags.length > 0
            ? image.RepoTags.map(splitTag)
            : [['<none>', '<none>'] as [string, string]];
        for (const [repo, tag] of tags)
          rows.push([repo, tag, shortId, humanAge(image.Created), humanSize(image.Size)]);
      }
      process.stdout.write(table(rows));
    });
}
