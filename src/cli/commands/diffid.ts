/** `shale diffid`: print the DiffID (sha256 of the decompressed stream) of a layer blob. */
import type { Command } from 'commander';
import { openInput } from '../input.ts';

export function registerDiffid(program: Command): void {
  program
    .command('diffid')
    .description('print sha256:<hex> of the decompressed stream (gzip, zstd, xz, bzip2 or plain)')
    .argument('<file>', 'layer blob, or - for standard input')
    .action(async (file: string) => {
      const { computeDiffId } = await import('../../archive/index.ts');
      const { diffId } = await computeDiffId(await openInput(file));
      process.stdout.write(`${diffId}\n`);
    });
}
