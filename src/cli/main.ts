#!/usr/bin/env node
/**
 * Entry point of the `shale` executable: a small launcher that runs the CLI's bundle
 * (shale-program.cjs beside it, built by scripts/bundle-cli.mjs) through V8's code cache.
 */
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { loadBundle } from './code-cache.ts';
import type * as Program from './program.ts';

// undici parses HTTP with a WebAssembly build of llhttp. V8 compiles it with its baseline compiler
// and then re-optimises it on a background thread, and the process cannot exit until that job
// ends: ~100 ms on every command that talks to a registry. The baseline code is fast enough for
// parsing headers (bodies pass through it as spans), so the CLI stays on it.
setFlagsFromString('--liftoff-only');

/** The command's name (`pull`, …): the first argument that is neither an option nor its value. */
function commandOf(args: readonly string[]): string {
  const command = args.find((arg, i) => !arg.startsWith('-') && args[i - 1] !== '--root');
  if (command === undefined) return 'none';
  return /^[a-z][a-z0-9-]{0,31}$/.test(command) ? command : 'other';
}

const args = process.argv.slice(2);
const program = loadBundle<typeof Program>(
  fileURLToPath(new URL('./shale-program.cjs', import.meta.url)),
  commandOf(args),
);
// Every failure should reach runCli as a rejection; one that escapes still ends as one line.
const onStrayFailure = (err: unknown) => {
  program.exports.reportStrayFailure(err);
  process.exit(program.exports.EXIT_FAILURE);
};
// A reader that went away (`shale images | head -1`) ends the command quietly, with the status of
// a process killed by SIGPIPE, as docker and the GNU tools end: it is not the command's failure.
const EXIT_BROKEN_PIPE = 128 + 13;
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(EXIT_BROKEN_PIPE);
  onStrayFailure(err);
});
process.on('uncaughtException', onStrayFailure);
process.on('unhandledRejection', onStrayFailure);
process.exitCode = await program.exports.runCli(args);
// A failed run may have stopped early: its cache would lack what a normal run of the command needs.
if (process.exitCode === 0) program.saveCache();
