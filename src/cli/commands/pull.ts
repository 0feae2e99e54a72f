/** `shale pull REF [--platform OS/ARCH[/VARIANT]] [--unpack] [--verify]`: an image from a registry. */
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { progressMode, progressRenderer } from '../progress.ts';
import {
  clientOptions,
  parseConcurrency,
  withProgressOptions,
  withRegistryOptions,
  type ProgressFlags,
  type RegistryFlags,
} from '../registry-flags.ts';

interface PullFlags extends RegistryFlags, ProgressFlags {
  platform?: string;
  unpack?: boolean;
  verify?: boolean;
  concurrency?: string;
}

export function registerPull(program: Command, context: CliContext): void {
  const command = program
    .command('pull')
    .description('pull an image from a registry (every blob verified before it is stored)')
    .argument('<ref>', 'image reference, e.g. alpine or 127.0.0.1:5000/team/app:1.0')
    .option(
      '--platform <os/arch[/variant]>',
      "platform to pick from an index (default: this machine's)",
    )
    .option('--unpack', 'also materialise the layer snapshots (checking every DiffID)')
    .option(
      '--verify',
      "check every layer's DiffID now, decompressing while downloading (else at first use)",
    )
    .option('--concurrency <n>', 'blobs downloading at once', '3');
  withRegistryOptions(withProgressOptions(command)).action(
    async (ref: string, flags: PullFlags) => {
      const { parsePlatform } = await import('../../core/manifest.ts');
      const { RegistryClient } = await import('../../registry/client.ts');
      const { pullImage } = await import('../../registry/pull/pull.ts');
      const client = new RegistryClient(clientOptions(flags));
      try {
        const result = await pullImage(await context.store(), client, ref, {
          ...(flags.platform !== undefined && { platform: parsePlatform(flags.platform) }),
          unpack: flags.unpack ?? false,
          verifyDiffIds: flags.verify ?? false,
          concurrency: parseConcurrency(flags.concurrency),
          onProgress: progressRenderer(progressMode(flags)),
        });
        process.stdout.write(`${result.id}\n`);
      } finally {
        await client.close();
      }
    },
  );
}
