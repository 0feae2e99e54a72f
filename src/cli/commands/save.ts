/**
 * `shale save REF… -o FILE|- [--format docker|docker-legacy|oci|oci-dir]`: write images as a
 * docker-archive (default; the Docker 25+ dual layout), a legacy docker-archive (Docker 1.6–1.9),
 * an oci-archive, or an OCI layout directory. A file is written as a pending archive file
 * (formats/save/archive-file.ts): under a temporary name, renamed when complete.
 */
import type { Writable } from 'node:stream';
import { Option, type Command } from 'commander';
import { ShaleError } from '../../core/index.ts';
import type { SaveFormat } from '../../formats/index.ts';
import type { CliContext } from '../context.ts';

interface SaveFlags {
  output?: string;
  format: SaveFormat;
}

async function toStdout(save: (output: Writable) => Promise<void>): Promise<void> {
  if (process.stdout.isTTY) {
    throw new ShaleError(
      'ERR_INVALID_ARGUMENT',
      'refusing to write an archive to a terminal: give -o FILE or redirect standard output',
    );
  }
  await save(process.stdout);
}

async function toFile(file: string, save: (output: Writable) => Promise<void>): Promise<void> {
  const { PendingArchiveFile } = await import('../../formats/index.ts');
  const pending = await PendingArchiveFile.open(file);
  try {
    await save(pending.stream);
    await pending.publish();
  } catch (err) {
    await pending.discard();
    const failed = err as NodeJS.ErrnoException;
    if (failed.syscall === 'write' && failed.path === undefined) failed.path = file; // name it
    throw err;
  }
}

export function registerSave(program: Command, context: CliContext): void {
  program
    .command('save')
    .description('write images to an archive or an OCI layout directory')
    .argument('<image...>', 'references, IDs or ID prefixes')
    .option('-o, --output <file|dir|->', 'archive file, - for stdout, or the directory for oci-dir')
    .addOption(
      new Option(
        '--format <format>',
        'docker (Docker 25+ dual layout), docker-legacy (Docker 1.6–1.9), oci (oci-archive) or oci-dir',
      )
        .choices(['docker', 'docker-legacy', 'oci', 'oci-dir'])
        .default('docker'),
    )
    .action(async (names: string[], flags: SaveFlags) => {
      const { checkArchiveDestination, saveImages } = await import('../../formats/index.ts');
      const target = flags.output ?? '-';
      if (flags.format !== 'oci-dir' && target !== '-')
        await checkArchiveDestination(
          target,
          'save to',
          'give a file path, or -o - to write to standard output',
        );
      const store = await context.store();
      if (flags.format === 'oci-dir') {
        if (!flags.output || flags.output === '-')
          throw new ShaleError('ERR_INVALID_ARGUMENT', 'save --format oci-dir needs -o DIR');
        await saveImages(store, names, { format: 'oci-dir', dir: flags.output });
        return;
      }
      const format = flags.format;
      const save = (output: Writable) => saveImages(store, names, { format, output });
      await (target === '-' ? toStdout(save) : toFile(target, save));
    });
}
