/**
 * Options shared by the commands that talk to registries (`pull`, `push`, `copy`, `login`), the
 * progress flags, and `--chunk-size` (push, and copy out of the store). `--insecure` reaches the command's own registry over plain HTTP (a flag: it
 * never takes the next argument); `--insecure=HOST` names another (repeatable), as do the hosts
 * in $SHALE_INSECURE_REGISTRIES (comma-separated). `--ca-file FILE` trusts FILE's CAs for the
 * command's registry, on top of Docker's per-registry directory `/etc/docker/certs.d/HOST/`
 * (`$SHALE_CERTS_D` moves it). The global `--registries-conf FILE` and `--docker-daemon-json FILE`
 * name the pull-mirror configs; they stand for `$SHALE_REGISTRIES_CONF` and
 * `$SHALE_DOCKER_DAEMON_JSON`, which every command (and `shale serve`) reads.
 */
import { Option, type Command } from 'commander';
import { parseByteSize, ShaleError } from '../core/index.ts';
import type { RegistryClientOptions } from '../registry/index.ts';

export interface RegistryFlags {
  insecure?: boolean;
  insecureHost?: string[];
  caFile?: string;
}

export interface ProgressFlags {
  quiet?: boolean;
  progress?: string;
}

/** Program options that take a value: a word after them is not a command name. */
export const GLOBAL_VALUE_OPTIONS = ['--root', '--registries-conf', '--docker-daemon-json'];

/** The global mirror-config flags, exported to the environment before any command runs. */
export function withMirrorConfigOptions(program: Command): Command {
  return program
    .option(
      '--registries-conf <file>',
      'pull mirrors and insecure registries, registries.conf-style (default: $SHALE_REGISTRIES_CONF, else $XDG_CONFIG_HOME/shale/registries.conf if present)',
    )
    .option(
      '--docker-daemon-json <file>',
      "Docker Hub pull mirrors from a daemon.json's registry-mirrors (default: $SHALE_DOCKER_DAEMON_JSON)",
    )
    .hook('preAction', (root) => {
      const { registriesConf, dockerDaemonJson } = root.opts<{
        registriesConf?: string;
        dockerDaemonJson?: string;
      }>();
      if (registriesConf !== undefined) process.env.SHALE_REGISTRIES_CONF = registriesConf;
      if (dockerDaemonJson !== undefined) process.env.SHALE_DOCKER_DAEMON_JSON = dockerDaemonJson;
    });
}

/** Rewrites `--insecure=HOST` as the hidden `--insecure-host HOST` the commands declare. */
export function expandInsecureHosts(argv: readonly string[]): string[] {
  return argv.flatMap((arg) =>
    arg.startsWith('--insecure=') ? ['--insecure-host', arg.slice('--insecure='.length)] : [arg],
  );
}

export function withRegistryOptions(command: Command): Command {
  return command
    .option(
      '--insecure',
      "reach this command's registry over plain HTTP; --insecure=HOST names another (loopback hosts always are, unless a CA is configured for them)",
    )
    .addOption(
      new Option('--insecure-host <host>')
        .hideHelp()
        .argParser((value: string, previous: string[] = []) => [...previous, value]),
    )
    .option(
      '--ca-file <file>',
      "PEM CA certificates to trust for this command's registry (besides /etc/docker/certs.d/HOST/*.crt)",
    );
}

export function withProgressOptions(command: Command): Command {
  return command
    .option('-q, --quiet', 'no progress output')
    .option('--progress <mode>', 'progress output: tty, plain or json (JSON lines on stderr)');
}

/**
 * Client options for a command whose own registry is `host` (`docker.io`, `127.0.0.1:5000`), on
 * top of `fromEnv` (the registry layer's `registryOptionsFromEnv()`, which the command loads when
 * it runs: commands that talk to no registry never load that layer).
 */
export function clientOptions(
  flags: RegistryFlags,
  host: string,
  fromEnv: RegistryClientOptions,
): RegistryClientOptions {
  return {
    ...fromEnv,
    insecureHosts: [
      ...(fromEnv.insecureHosts ?? []),
      ...(flags.insecureHost ?? []),
      ...(flags.insecure ? [host] : []),
    ],
    ...(flags.caFile !== undefined && { caFiles: { [host]: flags.caFile } }),
  };
}

/** `--concurrency N`: a whole number from 1 to 32. */
export function parseConcurrency(text: string | undefined): number {
  const n = Number(text ?? '3');
  if (!Number.isInteger(n) || n < 1 || n > 32) {
    throw new ShaleError('ERR_INVALID_ARGUMENT', `--concurrency must be 1..32, not ${text}`);
  }
  return n;
}

export const CHUNK_SIZE_HELP =
  'blobs larger than this go up in resumable chunks of this size (e.g. 16MiB; 0: never; default 32MiB)';

/** `--chunk-size`: 0 (every blob in one request) or at least 1 MiB. */
export function parseChunkSize(text: string): number {
  const bytes = parseByteSize(text, '--chunk-size');
  if (bytes !== 0 && bytes < 1 << 20) {
    throw new ShaleError(
      'ERR_INVALID_ARGUMENT',
      `--chunk-size must be 0 (no chunks) or at least 1MiB, not ${text}`,
    );
  }
  return bytes;
}
