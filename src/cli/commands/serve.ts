/**
 * `shale serve [--host unix:///PATH | tcp://127.0.0.1:PORT]...`: the Engine API's image endpoints
 * over the store, for the docker CLI and Docker SDKs (`DOCKER_HOST=unix://PATH`). Runs until
 * SIGTERM or SIGINT, then stops accepting, lets running requests end (or aborts them after a
 * grace period) and exits 0.
 */
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';

export function registerServe(program: Command, context: CliContext): void {
  program
    .command('serve')
    .description('serve the Docker Engine API image endpoints on a unix socket')
    .option(
      '--host <address>',
      'unix:///PATH or tcp://127.0.0.1:PORT (repeatable; default: $XDG_RUNTIME_DIR/shale/docker.sock, /run/shale/docker.sock as root)',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .action(async (flags: { host?: string[] }) => {
      const { defaultHost, serveApi } = await import('../../api/index.ts');
      const hosts = flags.host ?? [defaultHost()];
      const server = await serveApi(await context.store(), {
        hosts,
        onError: (err) => process.stderr.write(`shale: warning: ${(err as Error).message}\n`),
      });
      for (const host of hosts) process.stderr.write(`shale: serving the Engine API on ${host}\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGTERM', resolve);
        process.once('SIGINT', resolve);
      });
      await server.close();
    });
}
