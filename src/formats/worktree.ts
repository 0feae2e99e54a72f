/**
 * Working trees: `checkout` writes an image's rootfs as private files and remembers its base;
 * `diff` lists what changed against the base's snapshot (spec §7.3); `commit` exports those
 * changes as a new layer (§7.4), records its DiffID and TarSum v1, and creates a child image
 * whose config adds the layer and a history entry.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ApplyWarning } from '../archive/apply/index.ts';
import { changes, exportChanges, type Change } from '../archive/changes/index.ts';
import { tarsum } from '../archive/tarsum/index.ts';
import type { Digest } from '../core/digest.ts';
import { ShaleError } from '../core/errors.ts';
import type { NamedReference } from '../core/reference.ts';
import { withLease, type Store } from '../store/index.ts';
import { unpackImage } from './unpack.ts';

export async function checkout(
  store: Store,
  id: Digest,
  dir: string,
  onWarning?: (w: ApplyWarning) => void,
): Promise<void> {
  await unpackImage(store, id, dir, { onWarning });
  await store.checkouts.record(dir, id);
}

/** Changes of `dir` against the image it was checked out from, sorted by path. */
export async function diffWorktree(store: Store, dir: string): Promise<Change[]> {
  const base = await store.checkouts.baseOf(dir);
  const record = await store.images.get(base);
  if (!record) throw new ShaleError('ERR_NOT_FOUND', `the base image ${base} of ${dir} is gone`);
  if (record.topLayer) return changes(dir, await store.snapshots.ensure(record.topLayer));
  const empty = await mkdtemp(path.join(tmpdir(), 'shale-empty-'));
  try {
    return changes(dir, empty);
  } finally {
    await rm(empty, { recursive: true, force: true });
  }
}

export interface CommitOptions {
  reference?: NamedReference;
  /** Text of the history entry's `created_by` (default `shale commit`). */
  createdBy?: string;
  comment?: string;
  created?: Date;
}

/** Commit the changes of `dir` as a new image; `dir` then counts as a checkout of it. */
export async function commitWorktree(
  store: Store,
  dir: string,
  options: CommitOptions = {},
): Promise<Digest> {
  return withLease(store.layout, async () => {
    const baseId = await store.checkouts.baseOf(dir);
    const base = await store.images.get(baseId);
    if (!base) throw new ShaleError('ERR_NOT_FOUND', `the base image ${baseId} of ${dir} is gone`);
    const changed = await diffWorktree(store, dir);
    const blob = await store.content.ingest(exportChanges(dir, changed));
    const layer = await store.layers.registerBlob(base.topLayer, blob.digest);
    await store.layers.setTarsum(
      layer.chainId,
      await tarsum(store.content.open(blob.digest), { version: 'v1' }),
    );

    const config = JSON.parse((await store.images.config(baseId)).bytes.toString('utf8')) as Record<
      string,
      unknown
    > & {
      rootfs: { diff_ids: string[] };
      history?: unknown[] | null;
    };
    const created = (options.created ?? new Date()).toISOString();
    const entry: Record<string, string> = {
      created,
      created_by: options.createdBy ?? 'shale commit',
    };
    if (options.comment) entry.comment = options.comment;
    config.created = created;
    config.rootfs.diff_ids = [...config.rootfs.diff_ids, layer.diffId];
    config.history = [...(config.history ?? []), entry];
    const image = await store.images.create(Buffer.from(JSON.stringify(config)), {
      parent: baseId,
    });
    if (options.reference) await store.references.set(options.reference, image.id);
    await store.checkouts.record(dir, image.id);
    return image.id;
  });
}
