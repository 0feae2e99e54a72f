/** `shale push SRC [DEST]`: a stored image to a registry. */
import type { Command } from 'commander';
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

interface PushFlags extends RegistryFlags, ProgressFlags {
  concurrency?: string;
  chunkSize?: string;
}

export function registerPush(program: Command, context: CliContext): void {
  const command = program
    .command('push')
    .description('push an image to a registry (blobs it has are skipped, known ones mounted)')
    .argument('<src>', 'local image: reference or ID')
    .argument('[dest]', 'where to push (default: SRC, which must then name a registry)')
    .option('--concurrency <n>', 'blobs uploading at once', '3')
    .option('--chunk-size <size>', CHUNK_SIZE_HELP);
  withRegistryOptions(withProgressOptions(command)).action(
    async (src: string, dest: string | undefined, flags: PushFlags) => {
      const { RegistryClient, pushImage, registryOptionsFromEnv } =
        await import('../../registry/index.ts');
      const { parseNormalizedNamed } = await import('../../core/index.ts');
      const chunkSize = flags.chunkSize === undefined ? undefined : parseChunkSize(flags.chunkSize);
      const host = parseNormalizedNamed(dest ?? src).domain;
      const client = new RegistryClient(clientOptions(flags, host, registryOptionsFromEnv()));
      try {
        const result = await pushImage(await context.store(), client, src, dest ?? src, {
          concurrency: parseConcurrency(flags.concurrency),
          ...(chunkSize !== undefined && { chunkSize }),
          onProgress: progressRenderer(progressMode(flags)),
        });
        process.stdout.write(`${result.reference}@${result.digest}\n`);
        reportStatus(progressMode(flags), `Pushed ${result.summary}`);
      } finally {
        await client.close();
      }
    },
  );
}
