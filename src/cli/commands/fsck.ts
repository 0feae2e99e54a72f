/**
 * `shale fsck [--repair] [--quick] [--json]`: check the store and print one line per problem
 * (`corrupt-blob sha256:…: content hashes to sha256:…`) as it is found, then a summary. With
 * `--repair`, one line per action as it is taken (`quarantined …`, `fetched … from HOST/REPO`,
 * `removed …`, `rebuilt references.json …`, `rebuilt index.json …`), then `left …` for each
 * problem a second check still finds. `--json` prints the whole report instead. Exit 1 when there
 * are problems; with `--repair`, when problems are left or a lost blob could not be fetched again.
 */
import type { Command } from 'commander';
import type { FsckProblem, RepairAction } from '../../store/index.ts';
import type { CliContext } from '../context.ts';
import { humanSize } from '../format.ts';
import { clientOptions, withRegistryOptions, type RegistryFlags } from '../registry-flags.ts';
import { ReportedFailure } from '../reported.ts';

interface FsckFlags extends RegistryFlags {
  repair?: boolean;
  quick?: boolean;
  json?: boolean;
}

type Line = Pick<FsckProblem, 'object' | 'message' | 'size'>;

function line(word: string, { object, message, size }: Line): string {
  return `${word} ${object}: ${message}${size === undefined ? '' : ` (${humanSize(size)})`}\n`;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function registerFsck(program: Command, _context: CliContext): void {
  const command = program
    .command('fsck')
    .description('check the store: blobs, metadata, references, leftovers (exit 1 on problems)')
    .option(
      '--repair',
      'quarantine corrupt blobs, fetch lost ones again from their registries, rebuild or drop damaged records (kept in quarantine), drop records that point at nothing, rebuild index.json, remove abandoned leftovers',
    )
    .option('--quick', 'do not decompress layer blobs to check their DiffIDs')
    .option(
      '--json',
      'print the report as JSON ({blobs, problems: [{kind, object, message, size?}]}, with --repair also repairs and left)',
    );
  withRegistryOptions(command).action(async (flags: FsckFlags) => {
    const { checkStore, openStore, repairStore } = await import('../../store/index.ts');
    // As it is on disk: opening does not bring index.json in line first.
    const store = await openStore(program.opts<{ root?: string }>().root, { reconcile: false });
    const print = (text: string) => !flags.json && process.stdout.write(text);
    const onProblem = (problem: FsckProblem) => print(line(problem.kind, problem));
    if (!flags.repair) {
      const report = await checkStore(store, { quick: flags.quick, onProblem });
      const count = report.problems.length;
      if (flags.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      print(
        `checked ${report.blobs} blobs: ${count === 0 ? 'no problems' : plural(count, 'problem')}\n`,
      );
      if (count > 0) throw new ReportedFailure();
      return;
    }
    const { RegistryClient, Refetcher, registryOptionsFromEnv } =
      await import('../../registry/index.ts');
    const refetcher = new Refetcher(
      store,
      (host) => new RegistryClient(clientOptions(flags, host, registryOptionsFromEnv())),
      (message) => process.stderr.write(`shale: warning: ${message}\n`),
    );
    try {
      const report = await repairStore(store, {
        quick: flags.quick,
        fetch: refetcher.fetch,
        onProblem,
        onRepair: (action: RepairAction) => print(line(action.action, action)),
      });
      for (const problem of report.left) print(line(`left ${problem.kind}`, problem));
      if (flags.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      // A blob that could not be fetched again is a loss, even once the records are consistent.
      const unfixed =
        report.left.length + report.repairs.filter((a) => a.action === 'not-fetched').length;
      const found = report.problems.length;
      print(
        `checked ${report.blobs} blobs: ${found === 0 ? 'no problems' : plural(found, 'problem')}, ${plural(report.repairs.length, 'repair')}, ${unfixed} not fixed\n`,
      );
      if (unfixed > 0) throw new ReportedFailure();
    } finally {
      await refetcher.close();
    }
  });
}
