/**
 * `fsck`: check a store without changing it and report what is damaged or inconsistent — blobs
 * against their names, layer and image metadata against each other and the blobs (with a
 * decompression of each layer blob for its DiffID unless `quick`), references against images and
 * `index.json`, snapshots and checkouts against their layers and images, and the leftovers of
 * interrupted writes.
 */
import type { Store } from '../store.ts';
import { checkBlobs } from './blobs.ts';
import { checkImages } from './images.ts';
import { checkLayers } from './layers.ts';
import { checkLeftovers } from './leftovers.ts';
import { ProblemList, type FsckProblem } from './problems.ts';
import { checkReferences } from './references.ts';
import { checkTrees } from './trees.ts';

export type { FsckProblem, FsckProblemKind } from './problems.ts';

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

export async function checkStore(store: Store, options: FsckOptions = {}): Promise<FsckReport> {
  const { quick = false, signal } = options;
  const problems = new ProblemList(options.onProblem);
  const { hashed, sound } = await checkBlobs(store, problems, signal);
  await checkLayers(store, sound, problems, { quick, signal });
  await checkImages(store, problems);
  await checkReferences(store, problems);
  await checkTrees(store, problems);
  await checkLeftovers(store, problems);
  return { blobs: hashed, problems: problems.problems };
}
