/**
 * Content-derived identities of the image graph: image IDs (sha256 of the exact config bytes)
 * and ChainIDs (spec §4.1: `ChainID(L1) = DiffID(L1)`, then `sha256("<parent ChainID> <DiffID>")`).
 */
import { createHash } from 'node:crypto';
import { digestOf, type Digest } from './digest.ts';

const sha256 = (text: string | Uint8Array): Digest =>
  digestOf('sha256', createHash('sha256').update(text).digest('hex'));

/** The image ID of a config: the digest of its bytes exactly as stored, never re-serialised. */
export function imageIdOf(configBytes: Uint8Array): Digest {
  return sha256(configBytes);
}

/** The ChainID of a layer on top of `parent` (undefined for a base layer). */
export function chainIdStep(parent: Digest | undefined, diffId: Digest): Digest {
  return parent === undefined ? diffId : sha256(`${parent} ${diffId}`);
}

/** The ChainID of a whole stack of DiffIDs, base first; undefined for an empty stack. */
export function chainIdOf(diffIds: readonly Digest[]): Digest | undefined {
  return diffIds.reduce<Digest | undefined>(
    (parent, diffId) => chainIdStep(parent, diffId),
    undefined,
  );
}
