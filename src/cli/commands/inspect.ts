/**
 * `shale inspect`: docker inspect's JSON for each named image (always a JSON array), with the
 * legacy (v1) IDs it is known by; an image may also be named by a legacy ID or its unique prefix.
 */
import type { Command } from 'commander';
import { ShaleError } from '../../core/errors.ts';
import type { ImageInspect } from '../../store/index.ts';
import type { CliContext } from '../context.ts';
import { printJson } from '../format.ts';

export function registerInspect(program: Command, context: CliContext): void {
  program
    .command('inspect')
    .description('show details of images, as docker inspect')
    .argument('<image...>', 'references, IDs, legacy IDs or their unique prefixes')
    .option('--json', 'JSON output (the default; accepted for symmetry)')
    .action(async (names: string[]) => {
      const { describeImage, resolveImage } = await import('../../store/index.ts');
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
      printJson(found);
      if (missing.length > 0)
        throw new ShaleError('ERR_NOT_FOUND', `no such image: ${missing.join(', ')}`);
    });
}
