/**
 * `shale pull REF [--all-tags] [--platform OS/ARCH[/VARIANT]] [--all-platforms] [--unpack]
 * [--verify]`: images from a registry. Stdout gets each pulled image's ID; stderr the progress,
 * ending as docker's does with `Digest: …` per image and one `Status: …` line.
 */
import type { Command } from 'commander';
import { ShaleError } from '../../core/index.ts';
import type { NamedReference } from '../../core/index.ts';
import type { RegistryClient } from '../../registry/index.ts';
import type { CliContext } from '../context.ts';
import { progressMode, progressRenderer, reportStatus } from '../progress.ts';
import {
  clientOptions,
  parseConcurrency,
  withProgressOptions,
  withRegistryOptions,
  type ProgressFlags,
  type RegistryFlags,
} from '../registry-flags.ts';

interface PullFlags extends RegistryFlags, ProgressFlags {
  allTags?: boolean;
  platform?: string;
  allPlatforms?: boolean;
  unpack?: boolean;
  verify?: boolean;
  concurrency?: string;
}

/** What to pull: the reference, or with --all-tags every tag of its repository. */
async function targets(
  text: string,
  allTags: boolean,
  client: RegistryClient,
): Promise<NamedReference[]> {
  const { isNameOnly, parseDockerRef, parseNormalizedNamed, withTag } =
    await import('../../core/index.ts');
  if (!allTags) return [parseDockerRef(text)];
  const named = parseNormalizedNamed(text);
  if (!isNameOnly(named))
    throw new ShaleError('ERR_INVALID_ARGUMENT', "tag can't be used with --all-tags/-a");
  const { listTags } = await import('../../registry/index.ts');
  const tags = await listTags(client, named);
  if (tags.length === 0) throw new ShaleError('ERR_NOT_FOUND', `${text} has no tags to pull`);
  return tags.map((tag) => withTag(named, tag));
}

export function registerPull(program: Command, context: CliContext): void {
  const command = program
    .command('pull')
    .description('pull an image from a registry (every blob verified before it is stored)')
    .argument('<ref>', 'image reference, e.g. alpine or 127.0.0.1:5000/team/app:1.0')
    .option('-a, --all-tags', "pull every tag of the reference's repository")
    .option(
      '--platform <os/arch[/variant]>',
      "platform to pick from an index (default: this machine's)",
    )
    .option(
      '--all-platforms',
      "of an index, store every platform's manifest and blobs too, so that push sends the whole index",
    )
    .option('--unpack', 'also materialise the layer snapshots (checking every DiffID)')
    .option(
      '--verify',
      "check every layer's DiffID now, decompressing while downloading (else at first use)",
    )
    .option('--concurrency <n>', 'blobs downloading at once', '3');
  withRegistryOptions(withProgressOptions(command)).action(
    async (ref: string, flags: PullFlags) => {
      const { parsePlatform } = await import('../../core/index.ts');
      const { familiarString, parseDockerRef, parseNormalizedNamed } =
        await import('../../core/index.ts');
      const { RegistryClient, pullImage, registryOptionsFromEnv } =
        await import('../../registry/index.ts');
      const named = parseNormalizedNamed(ref);
      const client = new RegistryClient(
        clientOptions(flags, named.domain, registryOptionsFromEnv()),
      );
      const mode = progressMode(flags);
      try {
        const store = await context.store();
        let updated = false;
        for (const target of await targets(ref, flags.allTags ?? false, client)) {
          const result = await pullImage(store, client, target, {
            ...(flags.platform !== undefined && { platform: parsePlatform(flags.platform) }),
            allPlatforms: flags.allPlatforms ?? false,
            unpack: flags.unpack ?? false,
            verifyDiffIds: flags.verify ?? false,
            concurrency: parseConcurrency(flags.concurrency),
            onProgress: progressRenderer(mode),
            onWarning: (message) => process.stderr.write(`shale: warning: ${message}\n`),
          });
          updated ||= result.updated;
          process.stdout.write(`${result.id}\n`);
        }
        // Docker names the repository alone after --all-tags, else the reference as pulled.
        const shown = familiarString(flags.allTags ? named : parseDockerRef(ref));
        reportStatus(
          mode,
          updated
            ? `Status: Downloaded newer image for ${shown}`
            : `Status: Image is up to date for ${shown}`,
        );
      } finally {
        await client.close();
      }
    },
  );
}
