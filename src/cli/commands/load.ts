/**
 * `shale load -i FILE|DIR|- [--verify]`: load images from an archive (docker-archive, dual docker/OCI,
 * legacy docker-archive, oci-archive; plain or gzip/xz/bzip2/zstd compressed) or an OCI image
 * layout directory. Stdout gets each image's ID; stderr docker's `Loaded image: REF` lines (not
 * with -q). Warnings (a legacy checksum mismatch) go to stderr and keep exit status 0.
 */
import type { Command } from 'commander';
import { ShaleError } from '../../core/index.ts';
import type { CliContext } from '../context.ts';
import { printJson } from '../format.ts';
import { openInput } from '../input.ts';

interface LoadFlags {
  input?: string;
  name?: string;
  json?: boolean;
  quiet?: boolean;
  verify?: boolean;
}

export function registerLoad(program: Command, context: CliContext): void {
  program
    .command('load')
    .description(
      'load images from a docker-archive, an oci-archive (any compression) or an OCI layout directory, every blob verified',
    )
    .option('-i, --input <file|dir|->', 'archive file, OCI layout directory, or - for stdin')
    .option('--name <repo>', 'repository for OCI images named only by a tag')
    .option('--json', 'print [{Id, RepoTags}]')
    .option('-q, --quiet', "no 'Loaded image' lines on stderr")
    .option(
      '--verify',
      "check every compressed layer's DiffID now, decompressing it (else at its first use)",
    )
    .action(async (flags: LoadFlags) => {
      const input = flags.input ?? '-';
      if (input === '-' && process.stdin.isTTY) {
        throw new ShaleError(
          'ERR_INVALID_ARGUMENT',
          'load reads an archive from standard input, which is a terminal: give -i FILE|DIR or pipe one in',
        );
      }
      const { familiarString, parseDockerRef } = await import('../../core/index.ts');
      const { loadImages } = await import('../../formats/index.ts');
      const source = input === '-' ? await openInput('-') : input;
      const loaded = await loadImages(await context.store(), source, {
        name: flags.name,
        verifyDiffIds: flags.verify ?? false,
        onWarning: (message) => process.stderr.write(`shale: warning: ${message}\n`),
      });
      if (flags.json) {
        printJson(
          loaded.map((l) => ({
            Id: l.id,
            RepoTags: l.references.map((r) => familiarString(parseDockerRef(r))),
          })),
        );
        return;
      }
      for (const image of loaded) process.stdout.write(`${image.id}\n`);
      if (!flags.quiet) {
        const { loadReport } = await import('../../present/index.ts');
        for (const line of loadReport(loaded)) process.stderr.write(`${line}\n`);
      }
    });
}
