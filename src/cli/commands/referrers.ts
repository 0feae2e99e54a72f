/**
 * `shale referrers REF [--artifact-type T] [--json]`: the artifacts (signatures, SBOMs,
 * attestations) that refer to the manifest a registry reference names — a table, or with `--json`
 * the descriptors as the registry listed them.
 */
import type { Command } from 'commander';
import type { ReferrerDescriptor } from '../../registry/index.ts';
import { humanSize, printJson } from '../format.ts';
import { clientOptions, withRegistryOptions, type RegistryFlags } from '../registry-flags.ts';
import { tabwrite } from '../template/index.ts';

interface ReferrersFlags extends RegistryFlags {
  artifactType?: string;
  json?: boolean;
}

const CREATED = 'org.opencontainers.image.created';

function table(referrers: readonly ReferrerDescriptor[]): string {
  const rows = referrers.map((d) =>
    [d.digest, d.artifactType ?? '', humanSize(d.size), d.annotations?.[CREATED] ?? ''].join('\t'),
  );
  return tabwrite(['DIGEST\tARTIFACT TYPE\tSIZE\tCREATED', ...rows].join('\n'));
}

export function registerReferrers(program: Command): void {
  const command = program
    .command('referrers')
    .description('list the artifacts (signatures, SBOMs, …) that refer to an image in a registry')
    .argument('<ref>', 'registry reference: a tag or a digest')
    .option('--artifact-type <type>', 'only artifacts of this type')
    .option('--json', 'the descriptors as JSON, as the registry listed them');
  withRegistryOptions(command).action(async (ref: string, flags: ReferrersFlags) => {
    const { parseNormalizedNamed } = await import('../../core/index.ts');
    const { RegistryClient, listReferrers, registryOptionsFromEnv } =
      await import('../../registry/index.ts');
    const named = parseNormalizedNamed(ref);
    const client = new RegistryClient(clientOptions(flags, named.domain, registryOptionsFromEnv()));
    try {
      const { referrers } = await listReferrers(client, named, {
        ...(flags.artifactType !== undefined && { artifactType: flags.artifactType }),
      });
      if (flags.json) printJson(referrers);
      else process.stdout.write(`${table(referrers)}\n`);
    } finally {
      await client.close();
    }
  });
}
