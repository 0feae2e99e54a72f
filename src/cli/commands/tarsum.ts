/** `shale tarsum`: print the TarSum of a tar file as given (no decompression, like upstream). */
import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { ShaleError } from '../../core/index.ts';
import type { TarsumVariant, TarsumVersion } from '../../archive/index.ts';
import { scanInput } from '../input.ts';

interface TarsumFlags {
  version: TarsumVersion;
  variant: TarsumVariant;
  extra?: string;
}

function readExtra(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch {
    throw new ShaleError('ERR_NOT_FOUND', `cannot read --extra file ${file}`);
  }
}

export function registerTarsum(program: Command): void {
  program
    .command('tarsum')
    .description('print the TarSum checksum of a tar archive (read as given, not decompressed)')
    .argument('<file>', 'tar file, or - for standard input')
    .addOption(
      new Option('--version <version>', 'TarSum version')
        .choices(['v0', 'v1', 'dev'])
        .default('v1'),
    )
    .addOption(
      new Option('--variant <variant>', '2015: Docker 1.6-1.8; 2018: moby with Go 1.11+')
        .choices(['2015', '2018'])
        .default('2015'),
    )
    .option('--extra <file>', 'bytes hashed before the entry sums (an image json, upstream)')
    .action(async (file: string, flags: TarsumFlags) => {
      const extra = flags.extra === undefined ? undefined : readExtra(flags.extra);
      const { tarsum } = await import('../../archive/index.ts');
      const sum = await tarsum(await scanInput(file), {
        version: flags.version,
        variant: flags.variant,
        extra,
      });
      process.stdout.write(`${sum}\n`);
    });
}
