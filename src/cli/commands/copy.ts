/**
 * `shale copy SRC DEST`: an image from one endpoint to another (`docker://REF`, `oci:DIR[:REF]`),
 * blob by blob without the store; prints `DEST@DIGEST` as push does.
 */
import type { Command } from 'commander';
import type { RegistryClientOptions } from '../../registry/index.ts';
import { progressMode, progressRenderer, reportStatus } from '../progress.ts';
import {
  clientOptions,
  parseConcurrency,
  withProgressOptions,
  withRegistryOptions,
  type ProgressFlags,
  type RegistryFlags,
} from '../registry-flags.ts';

interface CopyFlags extends RegistryFlags, ProgressFlags {
  platform?: string;
  concurrency?: string;
}

/** Client options for every registry the copy talks to (`--insecure`/`--ca-file` apply to each). */
function optionsForHosts(flags: RegistryFlags, hosts: readonly string[]): RegistryClientOptions {
  const each = hosts.map((host) => clientOptions(flags, host));
  return {
    ...clientOptions(flags, hosts[0] ?? ''),
    insecureHosts: [...new Set(each.flatMap((o) => o.insecureHosts ?? []))],
    caFiles: Object.assign({}, ...each.map((o) => o.caFiles)) as Record<string, string>,
  };
}

export function registerCopy(program: Command): void {
  const command = program
    .command('copy')
    .description(
      'copy an image between registries and OCI layouts, digests kept (blobs the destination has are skipped, mounted within one registry)',
    )
    .argument('<src>', 'docker://REFERENCE or oci:DIR[:REF]')
    .argument('<dest>', 'docker://REFERENCE or oci:DIR[:REF]')
    .option('--platform <os/arch[/variant]>', "only this platform's manifest of an index")
    .option('--concurrency <n>', 'blobs in flight at once', '3');
  withRegistryOptions(withProgressOptions(command)).action(
    async (src: string, dest: string, flags: CopyFlags) => {
      const { parsePlatform } = await import('../../core/index.ts');
      const { RegistryClient } = await import('../../registry/index.ts');
      const { copyImage, endpointRegistry, parseCopyEndpoint } =
        await import('../../formats/index.ts');
      const hosts = [src, dest].flatMap((e) => endpointRegistry(parseCopyEndpoint(e)) ?? []);
      const platform = flags.platform === undefined ? undefined : parsePlatform(flags.platform);
      const mode = progressMode(flags);
      const client = new RegistryClient(optionsForHosts(flags, hosts));
      try {
        const result = await copyImage(src, dest, {
          client,
          concurrency: parseConcurrency(flags.concurrency),
          ...(platform && { platform }),
          onProgress: progressRenderer(mode),
        });
        process.stdout.write(`${result.destination}@${result.digest}\n`);
        const { copied, mounted, existed } = result.blobs;
        reportStatus(
          mode,
          `Copied ${result.summary} (blobs: ${copied} copied, ${mounted} mounted, ${existed} already there)`,
        );
      } finally {
        await client.close();
      }
    },
  );
}
