/**
 * Working trees: `checkout` writes an image's rootfs as private files and remembers its base and
 * a record of the tree as written; `diff` lists what changed since (spec §7.3); `commit` exports
 * those changes as a new layer (§7.4), records its DiffID and TarSum v1, and creates a child image
 * whose config adds the layer and a history entry.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ApplyWarning } from '../archive/apply/index.ts';
import {
  changes,
  changesSinceRecord,
  exportChanges,
  type Change,
} from '../archive/changes/index.ts';
import { tarsum } from '../archive/tarsum/index.ts';
import { applyChanges } from '../core/config-change/index.ts';
import { toContainerConfig, type ContainerConfig } from '../core/container-config.ts';
import type { Digest } from '../core/digest.ts';
import { ShaleError } from '../core/errors.ts';
import { formatGoDate } from '../core/go-time.ts';
import type { ImageConfig } from '../core/image-config.ts';
import { hostPlatform } from '../core/manifest.ts';
import type { NamedReference } from '../core/reference.ts';
import { writeImages, type ImageRecord, type ImageWrite, type Store } from '../store/index.ts';
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

/**
 * Changes of `dir` against the image it was checked out from, sorted by path: against the tree
 * record checkout wrote (no copy of the base is needed), else (checkouts recorded before tree
 * records) against the base's snapshot.
 */
export async function diffWorktree(store: Store, dir: string): Promise<Change[]> {
  const { image: base, treeRecord } = await store.checkouts.get(dir);
  const record = await store.images.get(base);
  if (!record) throw new ShaleError('ERR_NOT_FOUND', `the base image ${base} of ${dir} is gone`);
  if (treeRecord) return changesSinceRecord(dir, treeRecord);
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
  /** The image's and the history entry's `author`, as `docker commit -a`. */
  author?: string;
  /** Dockerfile instructions applied to the base image's container config, as `docker commit -c`. */
  changes?: readonly string[];
  created?: Date;
}

/**
 * The committed image's config, built as Docker's commit builds it (image.NewChildImage): the
 * base's platform, os.version and os.features, its `config` with the changes applied, its rootfs
 * and history plus the new layer and entry. What described the base's own making — `container`,
 * `container_config`, `docker_version`, `comment`, `author` — is not inherited. An empty change
 * set (an empty layer to Docker) adds no layer and marks the entry `empty_layer`, as Docker does.
 */
function childConfig(
  parent: ImageConfig,
  runConfig: ContainerConfig,
  diffId: Digest | undefined,
  created: string,
  options: CommitOptions,
): Record<string, unknown> {
  const entry = {
    created,
    author: options.author || undefined,
    created_by: options.createdBy ?? 'shale commit',
    comment: options.comment || undefined,
    empty_layer: diffId === undefined || undefined,
  };
  // top-level keys sorted, as Docker writes image configs
  return {
    architecture: parent.architecture || hostPlatform().architecture,
    author: options.author || undefined,
    config: runConfig,
    created,
    history: [...(parent.history ?? []), entry],
    os: parent.os || hostPlatform().os,
    'os.features': parent['os.features'],
    'os.version': parent['os.version'],
    rootfs: { type: 'layers', diff_ids: [...parent.rootfs.diff_ids, ...(diffId ? [diffId] : [])] },
    variant: parent.variant,
  };
}

/** Store `changed` (files of `dir`) as a layer on the base's; returns its DiffID. */
async function storeLayer(
  write: ImageWrite,
  dir: string,
  changed: Change[],
  base: ImageRecord,
): Promise<Digest> {
  const { store } = write;
  const blob = await store.content.ingest(exportChanges(dir, changed));
  await write.noteBlob(blob.digest, blob.existed);
  const layer = await write.registerLayer(base.topLayer, blob.digest);
  await store.layers.setTarsum(
    layer.chainId,
    await tarsum(store.content.open(blob.digest), { version: 'v1' }),
  );
  return layer.diffId;
}

/** Commit the changes of `dir` as a new image; `dir` then counts as a checkout of it. */
export async function commitWorktree(
  store: Store,
  dir: string,
  options: CommitOptions = {},
): Promise<Digest> {
  return writeImages(store, async (write) => {
    const baseId = await store.checkouts.baseOf(dir);
    const base = await store.images.get(baseId);
    if (!base) throw new ShaleError('ERR_NOT_FOUND', `the base image ${baseId} of ${dir} is gone`);
    const { config: parent } = await store.images.config(baseId);
    const runConfig = applyChanges(toContainerConfig(parent.config), options.changes ?? []);
    const changed = await diffWorktree(store, dir);
    const diffId = changed.length === 0 ? undefined : await storeLayer(write, dir, changed, base);
    const created = formatGoDate(options.created ?? new Date());
    const config = childConfig(parent, runConfig, diffId, created, options);
    const image = await write.commit({
      config: Buffer.from(JSON.stringify(config)),
      parent: baseId,
      ...(options.reference && { references: [options.reference], markTagged: true }),
    });
    await store.checkouts.record(dir, image.id);
    return image.id;
  });
}
