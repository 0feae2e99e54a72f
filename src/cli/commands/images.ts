/**
 * `shale images [REPO[:TAG]]`: list local images with docker's flags (`-a`, `-q`, `--digests`,
 * `--no-trunc`, `--filter`, `--format`), or docker's JSON keys with `--json`. Which images are
 * listed is the library's (`listImages`); this file parses flags and picks the format.
 */
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { printJson } from '../format.ts';
import { formatFlag, parseOrUsage, usageError } from '../format-flag.ts';
import {
  DEFAULT_IMAGES_DIGEST_FORMAT,
  DEFAULT_IMAGES_FORMAT,
  IMAGE_HEADERS,
  imageRows,
  QUIET_FORMAT,
} from '../image-rows.ts';
import { formatRows } from '../template/index.ts';

interface ImagesFlags {
  all?: boolean;
  quiet?: boolean;
  digests?: boolean;
  noTrunc?: boolean;
  filter: [string, string][];
  format?: string;
  json?: boolean;
}

function collectFilter(text: string, previous: [string, string][]): [string, string][] {
  const eq = text.indexOf('=');
  if (eq < 0) throw usageError(`bad format of filter '${text}' (expected name=value)`);
  return [...previous, [text.slice(0, eq).trim().toLowerCase(), text.slice(eq + 1).trim()]];
}

/** The format docker uses: `--format` as given (a table gains a DIGEST column with --digests). */
function chooseFormat(flags: ImagesFlags): string {
  if (flags.format === undefined)
    return flags.quiet
      ? QUIET_FORMAT
      : flags.digests
        ? DEFAULT_IMAGES_DIGEST_FORMAT
        : DEFAULT_IMAGES_FORMAT;
  if (flags.format.startsWith('table') && flags.digests && !flags.format.includes('{{.Digest}}'))
    return `${flags.format}\t{{.Digest}}`;
  return flags.format;
}

export function registerImages(program: Command, context: CliContext): void {
  program
    .command('images')
    .description('list local images (untagged parents only with -a)')
    .argument('[reference]', 'only references matching this REPO[:TAG] glob')
    .option('-a, --all', 'show all images (by default untagged parents are hidden)')
    .option('-q, --quiet', 'only show image IDs')
    .option('--digests', 'show digests')
    .option('--no-trunc', "don't truncate output")
    .option(
      '-f, --filter <name=value>',
      'dangling=true|false, reference=GLOB, label=KEY[=VALUE], before=IMAGE, since=IMAGE',
      collectFilter,
      [],
    )
    .option('--format <template>', "Go template, as docker's ('table …' for columns)")
    .option('--json', 'print a JSON array [{Id, RepoTags, RepoDigests, Created, Size}]')
    .action(async (reference: string | undefined, raw: ImagesFlags & { trunc: boolean }) => {
      const flags: ImagesFlags = { ...raw, noTrunc: !raw.trunc };
      formatFlag(flags); // refuses a bad template before any work
      if (flags.json && (flags.quiet || flags.digests))
        throw usageError('--json cannot be combined with -q or --digests');
      const { listImages, parseImageFilters } = await import('../../present/index.ts');
      const pairs = reference
        ? [...flags.filter, ['reference', reference] as [string, string]]
        : flags.filter;
      const images = await listImages(await context.store(), {
        all: flags.all === true,
        filters: parseImageFilters(pairs),
        onWarning: (message) => process.stderr.write(`shale: warning: ${message}\n`),
      });
      if (flags.json) return printJson(images);
      const source = chooseFormat(flags);
      const rows = imageRows(images, {
        noTrunc: flags.noTrunc === true,
        digests: flags.digests === true,
        formatNamesDigest: source.includes('{{.Digest}}'),
        now: Date.now(),
      });
      process.stdout.write(formatRows(parseOrUsage(source), rows, IMAGE_HEADERS));
    });
}
