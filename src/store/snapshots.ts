/**
 * Snapshots: the materialised tree of a ChainID under `shale/snapshots/<alg>/<hex>`, internal to
 * the store (users get private copies). A snapshot is built from its parent's by hard-linking
 * every non-directory (GNU `cp -al`, which also keeps directory metadata and xattrs) and then
 * applying the layer, whose applier never modifies an inode that existed before it ran; so N
 * layers cost one copy of each file, not N. Built in a scratch directory (so a kill leaves nothing
 * outside the ingest area) and renamed into place only once the layer's read verified.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, rename, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ApplyWarning } from '../archive/apply/index.ts';
import { parseDigest, type Digest } from '../core/digest.ts';
import { ShaleError } from '../core/errors.ts';
import type { LayerStore } from './layers/index.ts';
import type { StoreLayout } from './layout.ts';
import { createScratch, removeThroughScratch } from './scratch.ts';

async function exists(dir: string): Promise<boolean> {
  return stat(dir).then(
    () => true,
    () => false,
  );
}

function linkTree(from: string, to: string): void {
  const r = spawnSync('cp', ['-al', '--preserve=all', '--no-target-directory', from, to], {
    encoding: 'utf8',
  });
  if (r.status !== 0)
    throw new ShaleError(
      'ERR_UNSUPPORTED',
      `cannot link snapshot ${from}: ${r.stderr.trim() || r.error?.message}`,
    );
}

export class SnapshotStore {
  private readonly dir: string;

  constructor(
    private readonly layout: StoreLayout,
    private readonly layers: LayerStore,
  ) {
    this.dir = path.join(layout.metaDir, 'snapshots');
  }

  pathOf(chainId: Digest): string {
    const { algorithm, hex } = parseDigest(chainId);
    return path.join(this.dir, algorithm, hex);
  }

  /** The snapshot directory of `chainId`, building it (and its parents) when missing. */
  async ensure(chainId: Digest, onWarning?: (w: ApplyWarning) => void): Promise<string> {
    const final = this.pathOf(chainId);
    if (await exists(final)) return final;
    const layer = await this.layers.get(chainId);
    if (!layer) throw new ShaleError('ERR_NOT_FOUND', `layer ${chainId} is not in the store`);
    const base =
      layer.parent === undefined ? undefined : await this.ensure(layer.parent, onWarning);
    await mkdir(path.dirname(final), { recursive: true });
    const scratch = await createScratch(this.layout, 'snapshot');
    try {
      const temp = path.join(scratch.dir, 'tree');
      if (base) linkTree(base, temp);
      else await mkdir(temp, { mode: 0o755 });
      await this.layers.applyLayer(layer.diffId, temp, { onWarning });
      await rename(temp, final).catch((err: NodeJS.ErrnoException) => {
        // another process built it first; the scratch goes with ours
        if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
      });
    } finally {
      await scratch.dispose();
    }
    return final;
  }

  /** Remove the snapshot of `chainId`; a kill meanwhile leaves no partial tree in its place. */
  async remove(chainId: Digest): Promise<void> {
    const tree = this.pathOf(chainId);
    if (await exists(tree)) await removeThroughScratch(this.layout, tree);
  }
}
