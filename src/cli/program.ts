/**
 * The `shale` command line: builds the commander program and maps failures to shale's exit
 * contract (`shale: …` on stderr; 1 for failures, 2 for wrong usage).
 */
import { Command, CommanderError } from 'commander';
import { toShaleError, type StoreFailureContext } from '../core/index.ts';
import { storeFailureContext } from '../store/index.ts';
import { resolveStoreRoot } from '../store/index.ts';
import { registerCopy } from './commands/copy.ts';
import { registerDiffid } from './commands/diffid.ts';
import { registerFsck } from './commands/fsck.ts';
import { registerHistory } from './commands/history.ts';
import { registerImages } from './commands/images.ts';
import { registerImport } from './commands/import.ts';
import { registerInspect } from './commands/inspect.ts';
import { registerLoad } from './commands/load.ts';
import { registerLogin } from './commands/login.ts';
import { registerMigrate } from './commands/migrate.ts';
import { registerPull } from './commands/pull.ts';
import { registerPush } from './commands/push.ts';
import { registerReferrers } from './commands/referrers.ts';
import { registerPrune } from './commands/prune.ts';
import { registerRmi } from './commands/rmi.ts';
import { registerSave } from './commands/save.ts';
import { registerServe } from './commands/serve.ts';
import { registerTag } from './commands/tag.ts';
import { registerUnpack } from './commands/unpack.ts';
import { registerWorktree } from './commands/worktree.ts';
import { registerTarsum } from './commands/tarsum.ts';
import { CliContext } from './context.ts';
import {
  expandInsecureHosts,
  GLOBAL_VALUE_OPTIONS,
  withMirrorConfigOptions,
} from './registry-flags.ts';
import { ReportedFailure } from './reported.ts';

export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

function buildProgram(): Command {
  const program = new Command('shale')
    .description('daemonless, content-addressable container image store')
    .exitOverride()
    .showHelpAfterError(false)
    .configureOutput({ writeErr: () => undefined })
    .option('--root <dir>', 'store root (default: $SHALE_ROOT, else $XDG_DATA_HOME/shale)')
    .addHelpText('after', "\n'shale --version' prints the version of shale.");
  withMirrorConfigOptions(program);
  const context = new CliContext(program);
  registerPull(program, context);
  registerPush(program, context);
  registerLogin(program);
  registerReferrers(program);
  registerCopy(program, context);
  registerImages(program, context);
  registerInspect(program, context);
  registerHistory(program, context);
  registerTag(program, context);
  registerLoad(program, context);
  registerSave(program, context);
  registerImport(program, context);
  registerUnpack(program, context);
  registerWorktree(program, context);
  registerRmi(program, context);
  registerPrune(program, context);
  registerFsck(program, context);
  registerMigrate(program, context);
  registerServe(program, context);
  registerTarsum(program);
  registerDiffid(program);
  for (const command of program.commands)
    command.exitOverride().configureOutput({ writeErr: () => undefined });
  return program;
}

function usageMessage(err: CommanderError): string {
  return err.message.replace(/^error: /, '');
}

/**
 * `shale nosuch --help` would print the main help and exit 0 (commander lets the program's own
 * --help win when no command matched): an unknown command is a usage error, with or without it.
 */
function checkHelpTarget(program: Command, argv: readonly string[]): void {
  if (!argv.some((arg) => arg === '--help' || arg === '-h')) return;
  const name = argv.find(
    (arg, i) => !arg.startsWith('-') && !GLOBAL_VALUE_OPTIONS.includes(argv[i - 1] ?? ''),
  );
  if (name === undefined || program.commands.some((c) => c.name() === name)) return;
  throw new CommanderError(EXIT_USAGE, 'commander.unknownCommand', `unknown command '${name}'`);
}

/** The store the running command uses, for the words of a failure on it (full, read-only, …). */
let storeOfRun: (() => StoreFailureContext) | undefined;

/**
 * The last guard, for an error that escaped every awaited promise (an `'error'` event nobody
 * listened to, a rejection nobody awaited): still one `shale: …` line. Such an escape is a bug
 * to fix at its cause, so its stack is shown under SHALE_DEBUG=1.
 */
export function reportStrayFailure(err: unknown): void {
  const failure = toShaleError(err, storeOfRun?.());
  const detail = err instanceof Error ? err.message : String(err);
  process.stderr.write(`shale: ${failure ? failure.message : `internal error: ${detail}`}\n`);
  if (process.env.SHALE_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
}

/** Run the CLI; resolves to the process exit code. */
export async function runCli(argv: string[]): Promise<number> {
  // Only first: after a command name, --version is that command's (`shale tarsum --version v0`),
  // and commander would let a program-level --version take it from there.
  if (argv[0] === '--version') {
    const { shaleVersion } = await import('../present/index.ts');
    process.stdout.write(`${shaleVersion()}\n`);
    return 0;
  }
  const program = buildProgram();
  storeOfRun = () => storeFailureContext(resolveStoreRoot(program.opts<{ root?: string }>().root));
  try {
    checkHelpTarget(program, argv);
    await program.parseAsync(expandInsecureHosts(argv), { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.exitCode === 0) return 0; // --help
      process.stderr.write(`shale: ${usageMessage(err)} (see 'shale --help')\n`);
      return EXIT_USAGE;
    }
    if (err instanceof ReportedFailure) return EXIT_FAILURE;
    // ShaleErrors, and errno/network errors said plainly (on the store's paths, in its words)
    const failure = toShaleError(err, storeOfRun());
    if (failure) {
      process.stderr.write(`shale: ${failure.message}\n`);
      if (process.env.SHALE_DEBUG) process.stderr.write(`${(err as Error).stack}\n`);
      return EXIT_FAILURE;
    }
    process.stderr.write(
      `shale: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    return EXIT_FAILURE;
  }
}
