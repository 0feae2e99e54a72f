/**
 * `shale inspect`: docker inspect's JSON for each named image (always a JSON array), with the
 * legacy (v1) IDs it is known by; an image may also be named by a legacy ID or its unique prefix.
 * `-f/--format` runs a Go template on each image instead (one output line per image, as docker
 * does); `--type image` is accepted, shale knowing only images.
 */
import type { Command } from 'commander';
import { ShaleError } from '../../core/index.ts';
import type { ImageInspect } from '../../present/index.ts';
import type { CliContext } from '../context.ts';
import { printJson } from '../format.ts';
import { parseOrUsage, usageError } from '../format-flag.ts';
import { renderTemplate, TemplateExecError } from '../template/index.ts';

interface InspectFlags {
  format?: string;
  type?: string;
  json?: boolean;
}

export function registerInspect(program: Command, context: CliContext): void {
  program
    .command('inspect')
    .description('show details of images, as docker inspect')
    .argument('<image...>', 'references, IDs, legacy IDs or their unique prefixes')
    .option('-f, --format <template>', 'Go template run on each image, as docker inspect -f')
    .option('--type <type>', 'the type of object: only image')
    .option('--json', 'JSON output (the default; accepted for symmetry)')
    .action(async (names: string[], flags: InspectFlags) => {
      if (flags.type !== undefined && flags.type !== 'image')
        throw usageError(`"${flags.type}" is not a valid value for --type: shale has only images`);
      if (flags.format !== undefined && flags.json)
        throw usageError('--format and --json cannot be combined');
      // docker: an empty template means the JSON
      const template = flags.format ? parseOrUsage(flags.format).nodes : undefined;
      const { resolveImage } = await import('../../store/index.ts');
      const { describeImage } = await import('../../present/index.ts');
      const store = await context.store();
      const found: ImageInspect[] = [];
      const missing: string[] = [];
      for (const name of names) {
        try {
          found.push(await describeImage(store, await resolveImage(store, name)));
        } catch (err) {
          if (!(err instanceof ShaleError) || err.code !== 'ERR_NOT_FOUND') throw err;
          missing.push(name);
        }
      }
      const failures = missing.length > 0 ? [`no such image: ${missing.join(', ')}`] : [];
      if (!template) printJson(found);
      else {
        let out = '';
        for (const image of found) {
          try {
            out += `${renderTemplate(template, image)}\n`;
          } catch (err) {
            if (!(err instanceof TemplateExecError)) throw err;
            failures.push(err.message);
          }
        }
        process.stdout.write(out === '' ? '\n' : out);
      }
      if (failures.length > 0) throw new ShaleError('ERR_NOT_FOUND', failures.join('; '));
    });
}
