/**
 * `shale save REF… -o FILE|- [--format docker|docker-legacy|oci|oci-dir]`: write images as a
 * docker-archive (default; the Docker 25+ dual layout), a legacy docker-archive (Docker 1.6–1.9),
 * an oci-archive, or an OCI layout directory. A file is
 * written under a temporary name and renamed when complete.
 */
import { randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import { open, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
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

/** What `file` is, or undefined when it does not exist (or a part of its path is a file). */
async function statOrAbsent(file: string): Promise<Stats | undefined> {
  try {
    return await stat(file);
  } catch (err) {
    const { code } = err as NodeJS.ErrnoException;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}

/**
 * Refuse an output the archive cannot replace — a directory, device, FIFO or socket (renaming
 * onto it would replace the node itself) — or whose directory is missing, before any work.
 */
async function checkOutputFile(file: string): Promise<void> {
  const existing = await statOrAbsent(file);
  if (existing && !existing.isFile()) {
    throw new ShaleError(
      'ERR_INVALID_ARGUMENT',
      `cannot save to ${file}: it exists and is not a regular file (give a file path, or -o - to write to standard output)`,
    );
  }
  const dir = path.dirname(file);
  const parent = await statOrAbsent(dir);
  if (!parent) {
    throw new ShaleError(
      'ERR_NOT_FOUND',
      `cannot save to ${file}: directory ${dir} does not exist`,
    );
  }
  if (!parent.isDirectory()) {
    throw new ShaleError(
      'ERR_INVALID_ARGUMENT',
      `cannot save to ${file}: ${dir} is not a directory`,
    );
  }
}

async function toFile(file: string, save: (output: Writable) => Promise<void>): Promise<void> {
  const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  const output = (await open(temp, 'wx', 0o644)).createWriteStream();
  try {
    await save(output);
    output.end();
    await finished(output);
    await rename(temp, file);
  } catch (err) {
    output.destroy();
    await unlink(temp).catch(() => undefined);
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
      const { saveImages } = await import('../../formats/index.ts');
      const target = flags.output ?? '-';
      if (flags.format !== 'oci-dir' && target !== '-') await checkOutputFile(target);
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
