/**
 * `shale migrate [--driver D] DOCKER_1X_ROOT`: bring every image and tag of a Docker 1.x graph
 * (vfs, aufs, overlay or btrfs driver) into the store, with the IDs Docker 1.10's migration gives
 * them. Prints each image ID, and a `shale: warning:` line for each layer it had to rebuild;
 * images that cannot be migrated are reported and skipped (exit 1). Rerunning resumes.
 */
import type { Command } from 'commander';
import { ShaleError } from '../../core/index.ts';
import type { CliContext } from '../context.ts';
import { printJson } from '../format.ts';

export function registerMigrate(program: Command, context: CliContext): void {
  program
    .command('migrate')
    .description(
      'import the images and tags of a Docker 1.x root (graph/, the driver directory, repositories-<driver>)',
    )
    .argument('<docker-1x-root>', 'the old Docker root directory (e.g. /var/lib/docker)')
    .option('--json', 'print [{LegacyId, Id, Resumed}]')
    .option(
      '--driver <driver>',
      'the storage driver the old Docker used (default: the one present)',
    )
    .action(async (root: string, flags: { json?: boolean; driver?: string }) => {
      const { migrateDockerRoot } = await import('../../legacy/index.ts');
      const result = await migrateDockerRoot(await context.store(), root, {
        onImage: flags.json ? undefined : (image) => process.stdout.write(`${image.imageId}\n`),
        onWarning: (message) => process.stderr.write(`shale: warning: ${message}\n`),
        ...(flags.driver !== undefined && { driver: flags.driver }),
      });
      if (flags.json) {
        printJson(
          result.images.map((i) => ({ LegacyId: i.legacyId, Id: i.imageId, Resumed: i.resumed })),
        );
      }
      for (const { legacyId, reason } of result.failed)
        process.stderr.write(`shale: legacy image ${legacyId} not migrated: ${reason}\n`);
      if (result.failed.length > 0) {
        throw new ShaleError(
          'ERR_INVALID_ARGUMENT',
          `${result.failed.length} legacy image(s) could not be migrated; fix them and run migrate again to resume`,
        );
      }
    });
}
