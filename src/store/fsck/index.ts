/**
 * `fsck`: check a store without changing it and report what is damaged or inconsistent — blobs
 * against their names, layer and image metadata against each other and the blobs (with a
 * decompression of each layer blob for its DiffID, in the same read, unless `quick`), references
 * against images and `index.json`, snapshots and checkouts against their layers and images, and
 * the leftovers of interrupted writes. With `repair`, put right what can be (repair.ts), then
 * check again: what that finds is what is left.
 */
import type { Digest } from '../../core/digest.ts';
import type { Store } from '../store.ts';
import { checkBlobs } from './blobs.ts';
import { checkImages } from './images.ts';
import { checkLayers } from './layers.ts';
import { checkLeftovers } from './leftovers.ts';
import { ProblemList, type FsckProblem } from './problems.ts';
import { checkReferences } from './references.ts';
import { repairFound, type BlobFetcher, type RepairAction } from './repair.ts';
import { checkTrees } from './trees.ts';

export type { FsckProblem, FsckProblemKind } from './problems.ts';
export type { BlobFetcher, RepairAction, RepairActionKind, WantedBlob } from './repair.ts';

export interface FsckOptions {
  /** Skip decompressing layer blobs (their DiffIDs are not recomputed). */
  quick?: boolean;
  signal?: AbortSignal;
  /** Called with each problem as it is found. */
  onProblem?: (problem: FsckProblem) => void;
}

export interface FsckReport {
  /** Blobs whose bytes were hashed. */
  blobs: number;
  problems: FsckProblem[];
}

export interface RepairReport extends FsckReport {
  /** What the repair did, in order. */
  repairs: RepairAction[];
  /** The problems a check after the repair still finds. */
  left: FsckProblem[];
}

async function examine(
  store: Store,
  options: FsckOptions,
): Promise<FsckReport & { corrupt: Digest[] }> {
  const { quick = false, signal } = options;
  const problems = new ProblemList(options.onProblem);
  const { hashed, readings, corrupt } = await checkBlobs(store, problems, { quick, signal });
  await checkLayers(store, readings, problems);
  await checkImages(store, readings, problems);
  await checkReferences(store, problems);
  await checkTrees(store, problems);
  await checkLeftovers(store, problems);
  return { blobs: hashed, problems: problems.problems, corrupt };
}

export async function checkStore(store: Store, options: FsckOptions = {}): Promise<FsckReport> {
  const { blobs, problems } = await examine(store, options);
  return { blobs, problems };
}

/**
 * Check, repair what can be repaired (missing blobs are fetched with `fetch` when given), and
 * check again.
 */
export async function repairStore(
  store: Store,
  options: FsckOptions & { fetch?: BlobFetcher; onRepair?: (action: RepairAction) => void },
): Promise<RepairReport> {
  const found = await examine(store, options);
  const repairs = await repairFound(store, found, {
    ...(options.fetch && { fetch: options.fetch }),
    ...(options.signal && { signal: options.signal }),
    ...(options.onRepair && { onAction: options.onRepair }),
  });
  const after = await examine(store, { ...options, onProblem: undefined });
  return { blobs: found.blobs, problems: found.problems, repairs, left: after.problems };
}
