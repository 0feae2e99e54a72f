/**
 * `shale copy SRC DEST`: an image from one endpoint to another (`docker://REF`, `oci:DIR[:REF]`,
 * the archives, `store:REF`), blob by blob without staging it anywhere, with the artifacts
 * attached to it unless `--no-with-referrers`; prints `DEST@DIGEST` as push does.
 */
import { Option, type Command } from 'commander';
import type { RegistryClientOptions } from '../../registry/index.ts';
import type { CliContext } from '../context.ts';
import { progressMode, progressRenderer, reportStatus } from '../progress.ts';
import {
  CHUNK_SIZE_HELP,
  clientOptions,
  parseChunkSize,
  parseConcurrency,
  withProgressOptions,
  withRegistryOptions,
  type ProgressFlags,
  type RegistryFlags,
} from '../registry-flags.ts';

interface CopyFlags extends RegistryFlags, ProgressFlags {
  platform?: string;
  chunkSize?: string;
  withReferrers?: boolean;
  concurrency?: string;
}

/** Client options for every registry the copy talks to (`--insecure`/`--ca-file` apply to each). */
function optionsForHosts(
  flags: RegistryFlags,
  hosts: readonly string[],
  fromEnv: RegistryClientOptions,
): RegistryClientOptions {
  const each = hosts.map((host) => clientOptions(flags, host, fromEnv));
  return {
    ...clientOptions(flags, hosts[0] ?? '', fromEnv),
    insecureHosts: [...new Set(each.flatMap((o) => o.insecureHosts ?? []))],
    caFiles: Object.assign({}, ...each.map((o) => o.caFiles)) as Record<string, string>,
  };
}

const ENDPOINTS =
  'docker://REFERENCE, oci:DIR[:REF], oci-archive:PATH[:REF], docker-archive:PATH[:REF]';

export function registerCopy(program: Command, context: CliContext): void {
  const command = program
    .command('copy')
    .description(
      'copy an image between registries, OCI layouts, archives and the store, digests kept (blobs the destination has are skipped, mounted within one registry)',
    )
    .argument('<src>', `${ENDPOINTS} or store:REF (an image in the store, as push takes it)`)
    .argument('<dest>', `${ENDPOINTS} or store:NAME[:TAG] (made an image, as pull makes one)`)
    .addOption(
      new Option(
        '--all',
        'every platform of an index: the whole index, digests kept (the default)',
      ),
    )
    .addOption(
      new Option(
        '--platform <os/arch[/variant]>',
        "only this platform's manifest of an index",
      ).conflicts('all'),
    )
    .option(
      '--with-referrers',
      'carry the artifacts (signatures, SBOMs) that refer to the copied manifests (the default)',
    )
    .option('--no-with-referrers', 'copy the image without its referring artifacts')
    .option('--concurrency <n>', 'blobs in flight at once', '3')
    .option('--chunk-size <size>', `to a registry: ${CHUNK_SIZE_HELP}`);
  withRegistryOptions(withProgressOptions(command)).action(
    async (src: string, dest: string, flags: CopyFlags) => {
      const { parsePlatform } = await import('../../core/index.ts');
      const { RegistryClient, registryOptionsFromEnv } = await import('../../registry/index.ts');
      const { copyImage, endpointRegistry, parseCopyEndpoint } =
        await import('../../formats/index.ts');
      const [from, to] = [parseCopyEndpoint(src), parseCopyEndpoint(dest)];
      const hosts = [from, to].flatMap((e) => endpointRegistry(e) ?? []);
      const usesStore = from.transport === 'store' || to.transport === 'store';
      const store = usesStore ? await context.store() : undefined;
      // Chunked uploads to a registry keep their sessions in the store, opened when one starts.
      const { sessionsOpenedOnUse } = await import('../../store/index.ts');
      const warn = (message: string) => process.stderr.write(`shale: warning: ${message}\n`);
      const uploadSessions = sessionsOpenedOnUse(
        async () => (await context.store()).uploads,
        (err) =>
          warn(
            `uploads are not resumable in this run: the store that keeps their sessions cannot be opened (${err instanceof Error ? err.message : String(err)})`,
          ),
      );
      const platform = flags.platform === undefined ? undefined : parsePlatform(flags.platform);
      const chunkSize = flags.chunkSize === undefined ? undefined : parseChunkSize(flags.chunkSize);
      const mode = progressMode(flags);
      const client = new RegistryClient(optionsForHosts(flags, hosts, registryOptionsFromEnv()));
      try {
        const result = await copyImage(src, dest, {
          client,
          ...(store && { store }),
          uploadSessions,
          concurrency: parseConcurrency(flags.concurrency),
          ...(chunkSize !== undefined && { chunkSize }),
          ...(platform && { platform }),
          withReferrers: flags.withReferrers !== false,
          onProgress: progressRenderer(mode),
          onWarning: warn,
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
