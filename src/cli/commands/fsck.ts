/**
 * `shale fsck [--quick] [--json]`: check the store (read-only) and print one line per problem
 * (`corrupt-blob sha256:…: content hashes to sha256:…`) as it is found, then a summary; `--json`
 * prints the whole report instead. Exit 1 when there are problems.
 */
import type { Command } from 'commander';
import type { FsckProblem } from '../../store/index.ts';
import type { CliContext } from '../context.ts';
import { humanSize } from '../format.ts';
import { ReportedFailure } from '../reported.ts';

function problemLine({ kind, object, message, size }: FsckProblem): string {
  return `${kind} ${object}: ${message}${size === undefined ? '' : ` (${humanSize(size)})`}\n`;
}

export function registerFsck(program: Command, context: CliContext): void {
  program
    .command('fsck')
    .description('check the store: blobs, metadata, references, leftovers (exit 1 on problems)')
    .option('--quick', 'do not decompress layer blobs to check their DiffIDs')
    .option(
      '--json',
      'print the report as JSON ({blobs, problems: [{kind, object, message, size?}]})',
    )
    .action(async (flags: { quick?: boolean; json?: boolean }) => {
      const { checkStore } = await import('../../store/index.ts');
      const store = await context.store();
      const report = await checkStore(store, {
        quick: flags.quick,
        onProblem: flags.json ? undefined : (problem) => process.stdout.write(problemLine(problem)),
      });
      const count = report.problems.length;
      if (flags.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else
        process.stdout.write(
          `checked ${report.blobs} blobs: ${count === 0 ? 'no problems' : `${count} problem${count === 1 ? '' : 's'}`}\n`,
        );
      if (count > 0) throw new ReportedFailure();
    });
}
