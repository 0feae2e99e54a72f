/**
 * `shale history REF`: an image's build steps, newest first, with docker's flags (`-q`,
 * `--no-trunc`, `-H/--human`, `--format`; docker/cli 20.10 `cli/command/image/history.go` and
 * `formatter_history.go`), or JSON with `--json`.
 */
import type { Command } from 'commander';
import type { HistoryItem } from '../../present/index.ts';
import type { CliContext } from '../context.ts';
import { createdSince, humanSize, printJson, rfc3339Local, unixSeconds } from '../format.ts';
import { formatFlag, parseOrUsage, usageError } from '../format-flag.ts';
import { QUIET_FORMAT, truncateId } from '../image-rows.ts';
import { formatRows } from '../template/index.ts';

const HUMAN_FORMAT = 'table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}';
const MACHINE_FORMAT = 'table {{.ID}}\t{{.CreatedAt}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}';

const HEADERS: Record<string, string> = {
  ID: 'IMAGE',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  CreatedBy: 'CREATED BY',
  Size: 'SIZE',
  Comment: 'COMMENT',
};

interface HistoryFlags {
  human: boolean;
  quiet?: boolean;
  trunc: boolean;
  format?: string;
  json?: boolean;
}

/** docker's Ellipsis for text of one column per character: `max - 1` characters and `…`. */
function ellipsis(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

/** One row's fields, keys sorted as docker's `{{json .}}` prints them. */
function historyRow(item: HistoryItem, flags: HistoryFlags, now: number) {
  const created = unixSeconds(item.Created);
  const createdBy = item.CreatedBy.replaceAll('\t', ' ');
  return {
    Comment: item.Comment,
    CreatedAt: rfc3339Local(created),
    CreatedBy: flags.trunc ? ellipsis(createdBy, 45) : createdBy,
    CreatedSince: flags.human ? createdSince(created, now) : rfc3339Local(created),
    ID: flags.trunc ? truncateId(item.Id) : item.Id,
    Size: flags.human ? humanSize(item.Size) : String(item.Size),
  };
}

/** pflag's booleans; `-H=false` reaches commander as the value `=false`. */
function parseBool(given: string): boolean {
  const text = given.replace(/^=/, '');
  if (/^(true|1|t)$/i.test(text)) return true;
  if (/^(false|0|f)$/i.test(text)) return false;
  throw usageError(`invalid boolean '${given}' for -H/--human (use true or false)`);
}

export function registerHistory(program: Command, context: CliContext): void {
  program
    .command('history')
    .description("show an image's history, newest first")
    .argument('<image>', 'reference, ID or ID prefix')
    .option(
      '-H, --human [bool]',
      'sizes and dates in human-readable form (default true)',
      parseBool,
      true,
    )
    .option('-q, --quiet', 'only show image IDs')
    .option('--no-trunc', "don't truncate output")
    .option('--format <template>', "Go template, as docker's ('table …' for columns)")
    .option('--json', 'print [{Id, Created, CreatedBy, Size, Comment, EmptyLayer}]')
    .action(async (name: string, flags: HistoryFlags) => {
      formatFlag(flags);
      if (flags.json && flags.quiet) throw usageError('--json cannot be combined with -q');
      const { resolveImage } = await import('../../store/index.ts');
      const { imageHistory } = await import('../../present/index.ts');
      const store = await context.store();
      const items = await imageHistory(store, await resolveImage(store, name));
      if (flags.json) return printJson(items);
      const source =
        flags.format ?? (flags.quiet ? QUIET_FORMAT : flags.human ? HUMAN_FORMAT : MACHINE_FORMAT);
      const now = Date.now();
      const rows = items.map((item) => historyRow(item, flags, now));
      process.stdout.write(formatRows(parseOrUsage(source), rows, HEADERS));
    });
}
