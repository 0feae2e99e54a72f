/**
 * `fsck --repair`: what can be put right after a check, in order — corrupt blobs go to quarantine
 * (kept, never deleted); blobs records name that are missing or were quarantined are fetched
 * again from the repositories they came from (through a fetcher the caller supplies: the store
 * does not talk to registries); damaged records are set aside in quarantine (layer records that
 * do not parse are dropped; image records that do not parse or disagree with their config are
 * rebuilt from the config, or dropped when it or a layer is gone; a `references.json` that does
 * not parse is rebuilt from `index.json`); records that point at nothing are dropped (blob infos
 * without their blob, layers without any blob or without their parent, images without their
 * config or layers, references and legacy IDs of missing images, snapshots of missing layers);
 * a reference whose manifest is gone names its image's own manifest again;
 * a blob info whose DiffID marker is missing (a kill between the two) is recorded again;
 * `index.json` is rebuilt from the references; abandoned leftovers are removed. Every change is
 * reported as one action; what is left is for the check that follows.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { isDigest, type Digest } from '../../core/digest.ts';
import { isShaleError } from '../../core/errors.ts';
import { chainIdOf } from '../../core/ids.ts';
import { parseDockerRef } from '../../core/reference.ts';
import { GC_LOCK } from '../gc.ts';
import { withLock } from '../lock.ts';
import { keepInQuarantine } from '../record-quarantine.ts';
import type { Store } from '../store.ts';
import { sortedNames } from './files.ts';
import { findLeftovers } from './leftovers.ts';
import { reasonOf, type FsckProblem } from './problems.ts';
import { wantedBlobs, type WantedBlob } from './wanted.ts';

export type { WantedBlob } from './wanted.ts';

export type RepairActionKind = 'quarantined' | 'fetched' | 'not-fetched' | 'removed' | 'rebuilt';

export interface RepairAction {
  action: RepairActionKind;
  /** What it was done to: a digest, a reference, a legacy ID or a path relative to the root. */
  object: string;
  message: string;
  /** Bytes removed (leftovers). */
  size?: number;
}

/**
 * Fetches a blob the store lost from one of the repositories `want` names and stores it;
 * resolves to the repository that served it. Throws, saying why, when none did.
 */
export type BlobFetcher = (want: WantedBlob, signal?: AbortSignal) => Promise<string>;

export interface RepairInput {
  /** What the check found. */
  problems: readonly FsckProblem[];
  /** Blobs whose bytes do not match their names. */
  corrupt: readonly Digest[];
}

export interface RepairOptions {
  /** Fetches missing blobs; without one, missing blobs stay missing. */
  fetch?: BlobFetcher;
  signal?: AbortSignal;
  onAction?: (action: RepairAction) => void;
}

class Actions {
  readonly list: RepairAction[] = [];
  constructor(private readonly onAction?: (action: RepairAction) => void) {}

  add(action: RepairActionKind, object: string, message: string, size?: number): void {
    const done: RepairAction = { action, object, message, ...(size !== undefined && { size }) };
    this.list.push(done);
    this.onAction?.(done);
  }
}

/** The digests named by `<hex>.json` files of `<dir>/sha256`. */
async function recordNames(dir: string): Promise<Digest[]> {
  return (await sortedNames(path.join(dir, 'sha256')))
    .filter((n) => n.endsWith('.json'))
    .map((n) => `sha256:${n.slice(0, -5)}`)
    .filter(isDigest);
}

async function fetchMissing(
  store: Store,
  wanted: ReadonlyMap<Digest, WantedBlob>,
  actions: Actions,
  options: RepairOptions,
): Promise<void> {
  for (const want of wanted.values()) {
    if (await store.content.has(want.digest)) continue;
    if (want.sources.length === 0 || !options.fetch) {
      const why = options.fetch ? 'no repository is known to hold it' : 'no registry to ask';
      actions.add('not-fetched', want.digest, why);
      continue;
    }
    try {
      actions.add('fetched', want.digest, `from ${await options.fetch(want, options.signal)}`);
    } catch (err) {
      options.signal?.throwIfAborted();
      actions.add('not-fetched', want.digest, reasonOf(err));
    }
  }
}

/** Whether reading a record failed because the record is damaged (anything else is thrown). */
async function isDamaged(read: Promise<unknown>): Promise<boolean> {
  return read.then(
    () => false,
    (err: unknown) => {
      if (isShaleError(err, 'ERR_BAD_RECORD')) return true;
      throw err;
    },
  );
}

/** Layer records that do not parse or hold together: set aside (with their snapshots dropped). */
async function dropDamagedLayers(store: Store, actions: Actions): Promise<void> {
  for (const chainId of await recordNames(path.join(store.layout.metaDir, 'layers'))) {
    if (!(await isDamaged(store.layers.get(chainId)))) continue;
    const kept = await keepInQuarantine(store.layout, store.layers.recordPath(chainId));
    await store.snapshots.remove(chainId);
    await store.layers.delete(chainId);
    actions.add('removed', chainId, `damaged layer record (kept as ${kept})`);
  }
}

/** What is wrong with image `id`'s record itself, if anything. */
async function imageRecordDamage(store: Store, id: Digest): Promise<string | undefined> {
  const record = store.images.get(id);
  if (await isDamaged(record)) return 'damaged image record';
  const sound = await record;
  if (!sound) return undefined; // removed meanwhile
  const config = await store.images.config(id).catch(() => undefined);
  if (config && chainIdOf(config.config.rootfs.diff_ids) !== sound.topLayer)
    return 'image record that disagrees with its config';
  return undefined;
}

/**
 * Image records that are damaged or disagree with their config: set aside, then rebuilt from the
 * config when it and every layer are stored, else dropped.
 */
async function repairImageRecords(store: Store, actions: Actions): Promise<void> {
  for (const id of await store.images.ids()) {
    const why = await imageRecordDamage(store, id);
    if (!why) continue;
    const kept = await keepInQuarantine(store.layout, store.images.recordFile(id));
    try {
      await store.images.rebuild(id);
      actions.add('rebuilt', id, `${why}, from its config (the old one is kept as ${kept})`);
    } catch (err) {
      if (!isShaleError(err) || err.code === 'ERR_IO') throw err;
      await store.images.delete(id);
      actions.add('removed', id, `${why}: ${reasonOf(err)} (kept as ${kept})`);
    }
  }
}

async function hasBlobOf(store: Store, diffId: Digest): Promise<boolean> {
  for (const blob of await store.layers.blobsOf(diffId))
    if (await store.content.has(blob)) return true;
  return false;
}

/** Blob infos of blobs that are gone (their DiffID markers go with them). */
async function dropBlobInfos(store: Store, actions: Actions): Promise<void> {
  for (const blob of await recordNames(path.join(store.layout.metaDir, 'blobinfo'))) {
    if (await store.content.has(blob)) continue;
    await store.layers.removeBlob(blob);
    actions.add('removed', blob, 'blob info of a blob that is gone');
  }
}

/**
 * DiffID markers a writer killed between a blob info and its marker never wrote: the blob info is
 * the truth (recording it again writes the marker).
 */
async function restoreMarkers(store: Store, actions: Actions): Promise<void> {
  for (const blob of await recordNames(path.join(store.layout.metaDir, 'blobinfo'))) {
    const info = await store.layers.blobInfo(blob).catch(() => undefined);
    if (!info || !(await store.content.has(blob))) continue;
    if ((await store.layers.blobsOf(info.diffId)).includes(blob)) continue;
    await store.layers.recordBlobInfo(blob, info);
    actions.add('rebuilt', blob, `listed again among the blobs of its DiffID ${info.diffId}`);
  }
}

/** Layers no blob holds, then (repeatedly) those whose parent went; their snapshots go too. */
async function dropLayers(store: Store, actions: Actions): Promise<void> {
  for (let dropped = true; dropped;) {
    dropped = false;
    for (const chainId of await recordNames(path.join(store.layout.metaDir, 'layers'))) {
      const layer = await store.layers.get(chainId).catch(() => undefined);
      if (!layer) continue; // removed meanwhile
      const parentGone =
        layer.parent !== undefined && !(await store.layers.get(layer.parent).catch(() => layer));
      const why = parentGone
        ? `layer whose parent ${layer.parent} is gone`
        : !(await hasBlobOf(store, layer.diffId))
          ? `layer no stored blob holds (DiffID ${layer.diffId})`
          : undefined;
      if (!why) continue;
      await store.snapshots.remove(chainId);
      await store.layers.delete(chainId);
      actions.add('removed', chainId, why);
      dropped = true;
    }
  }
}

async function dropImages(store: Store, actions: Actions): Promise<void> {
  for (const id of await store.images.ids()) {
    const record = await store.images.get(id).catch(() => undefined);
    if (record?.id !== id) continue;
    const why = !(await store.content.has(id))
      ? 'image whose config is gone'
      : record.topLayer !== undefined &&
          !(await store.layers.chain(record.topLayer).catch(() => undefined))
        ? 'image whose layers are gone'
        : undefined;
    if (!why) continue;
    await store.images.delete(id);
    actions.add('removed', id, why);
  }
}

/** Whether image `id` is gone (a record that does not parse still counts as there). */
async function imageGone(store: Store, id: Digest): Promise<boolean> {
  return (await store.images.get(id).catch(() => true)) === undefined;
}

/** A `references.json` that does not parse, rebuilt from `index.json`; true when it was. */
async function recoverReferences(store: Store, actions: Actions): Promise<boolean> {
  const recovered = await store.references.recoverFromIndex();
  if (!recovered) return false;
  const count = Object.keys(recovered.references).length;
  actions.add(
    'rebuilt',
    'references.json',
    `from index.json, ${count} reference${count === 1 ? '' : 's'} (the damaged file is kept as ${recovered.kept})`,
  );
  for (const { ref, why } of recovered.lost)
    actions.add('removed', ref, `in index.json, left out of the references: ${why}`);
  return true;
}

/**
 * References to missing images go; one whose manifest (or index) is gone names its image's own
 * manifest again. True when any changed.
 */
async function repairReferences(store: Store, actions: Actions): Promise<boolean> {
  const references = await store.references.targets().catch(() => undefined);
  if (!references) return false;
  const dangling: [string, Digest][] = [];
  let changed = false;
  for (const [ref, { image, descriptor, manifest }] of Object.entries(references)) {
    if (await imageGone(store, image)) {
      dangling.push([ref, image]);
      continue;
    }
    let lost: Digest | undefined;
    for (const named of [descriptor, manifest])
      if (named && !(await store.content.has(named.digest))) lost ??= named.digest;
    if (!lost) continue;
    await store.references.set(parseDockerRef(ref), image);
    actions.add('rebuilt', ref, `names image ${image}'s own manifest: ${lost} is gone`);
    changed = true;
  }
  if (dangling.length === 0) return changed;
  const removed = new Set(await store.references.delete(dangling.map(([ref]) => ref)));
  for (const [ref, id] of dangling)
    if (removed.has(ref)) actions.add('removed', ref, `reference to image ${id}, not in the store`);
  return changed || removed.size > 0;
}

async function dropLegacy(store: Store, actions: Actions): Promise<void> {
  for (const image of await store.legacy.images()) {
    if (!(await imageGone(store, image))) continue;
    for (const id of await store.legacy.deleteImage(image))
      actions.add('removed', `legacy ID ${id}`, `legacy entry of image ${image}, not in the store`);
  }
}

async function dropSnapshots(store: Store, actions: Actions): Promise<void> {
  const dir = path.join(store.layout.metaDir, 'snapshots', 'sha256');
  for (const hex of await sortedNames(dir)) {
    const chainId = `sha256:${hex}`;
    if (!isDigest(chainId) || (await store.layers.get(chainId).catch(() => true))) continue;
    await store.snapshots.remove(chainId);
    actions.add('removed', `snapshot ${chainId}`, 'snapshot of a layer that is not registered');
  }
}

async function removeLeftovers(store: Store, actions: Actions): Promise<void> {
  for (const { file, why, bytes, abandoned } of await findLeftovers(store)) {
    if (!abandoned) continue;
    await rm(file, { recursive: true, force: true });
    actions.add('removed', path.relative(store.layout.root, file), why, bytes);
  }
}

const touchesIndex = (p: FsckProblem) =>
  p.kind === 'index-mismatch' || (p.kind === 'bad-record' && p.object === 'index.json');

/** Repair what `found` says is wrong; the actions taken, in order. */
export async function repairFound(
  store: Store,
  found: RepairInput,
  options: RepairOptions = {},
): Promise<RepairAction[]> {
  const actions = new Actions(options.onAction);
  // Where each blob can come from, read before quarantine takes the corrupt ones away.
  const wanted = await wantedBlobs(store);
  for (const digest of found.corrupt) {
    const problem = found.problems.find((p) => p.kind === 'corrupt-blob' && p.object === digest);
    await store.content.quarantine(digest, problem?.message ?? 'corrupt');
    actions.add('quarantined', digest, problem?.message ?? 'corrupt');
  }
  await fetchMissing(store, wanted, actions, options);
  // Dropping records is a collection: no prune or rmi runs meanwhile.
  const referencesChanged = await withLock(store.layout, GC_LOCK, async () => {
    await dropDamagedLayers(store, actions);
    await dropBlobInfos(store, actions);
    await restoreMarkers(store, actions);
    await dropLayers(store, actions);
    await repairImageRecords(store, actions);
    await dropImages(store, actions);
    const recovered = await recoverReferences(store, actions);
    const changed = await repairReferences(store, actions);
    await dropLegacy(store, actions);
    await dropSnapshots(store, actions);
    return recovered || changed;
  });
  if (referencesChanged || found.problems.some(touchesIndex)) {
    const count = await store.references.rebuildIndex();
    actions.add('rebuilt', 'index.json', `from ${count} reference${count === 1 ? '' : 's'}`);
  }
  await removeLeftovers(store, actions);
  return actions.list;
}
