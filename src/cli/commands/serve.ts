/**
 * `shale serve [--host unix:///PATH | tcp://HOST:PORT]... [--tlsverify --tlscacert FILE --tlscert
 * FILE --tlskey FILE]`: the Engine API's image endpoints over the store, for the docker CLI and
 * Docker SDKs (`DOCKER_HOST=unix://PATH`). TCP is served on loopback only, or anywhere with mutual
 * TLS (dockerd's flags). Runs until SIGTERM or SIGINT, then stops accepting, lets running requests
 * end (or aborts them after a grace period) and exits 0.
 */
import type { Command } from 'commander';
import type { TlsFlags } from '../../api/index.ts';
import type { CliContext } from '../context.ts';

export function registerServe(program: Command, context: CliContext): void {
  program
    .command('serve')
    .description('serve the Docker Engine API image endpoints on a unix socket')
    .option(
      '--host <address>',
      'unix:///PATH or tcp://HOST:PORT (repeatable; default: $XDG_RUNTIME_DIR/shale/docker.sock, /run/shale/docker.sock as root; TCP on loopback only unless --tlsverify)',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option(
      '--tlsverify',
      'serve TCP over TLS, requiring client certificates signed by --tlscacert (mutual TLS)',
    )
    .option('--tlscacert <file>', 'PEM CA certificates that client certificates must chain to')
    .option('--tlscert <file>', 'PEM server certificate (and its chain)')
    .option('--tlskey <file>', 'PEM private key of --tlscert, unencrypted')
    .action(async (flags: TlsFlags & { host?: string[] }) => {
      const { defaultHost, loadMutualTls, serveApi } = await import('../../api/index.ts');
      const tls = await loadMutualTls(flags);
      const hosts = flags.host ?? [defaultHost()];
      const server = await serveApi(await context.store(), {
        hosts,
        tls,
        onError: (err) => process.stderr.write(`shale: warning: ${(err as Error).message}\n`),
      });
      const secured = (host: string) => (tls && host.startsWith('tcp://') ? ' (mutual TLS)' : '');
      for (const host of hosts)
        process.stderr.write(`shale: serving the Engine API on ${host}${secured(host)}\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGTERM', resolve);
        process.once('SIGINT', resolve);
      });
      await server.close();
    });
}
