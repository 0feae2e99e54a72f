/**
 * The content store's blobs against their names: each is streamed through its digest's hash
 * (constant memory); a file under `blobs/<alg>/` that is not named by a digest is reported too.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { digestOf, isDigest, type Digest, type DigestAlgorithm } from '../../core/digest.ts';
import type { Store } from '../store.ts';
import { sortedNames } from './files.ts';
import { reasonOf, type ProblemList } from './problems.ts';

const ALGORITHMS: readonly DigestAlgorithm[] = ['sha256', 'sha512'];

async function hashFile(file: string, algorithm: DigestAlgorithm, signal?: AbortSignal) {
  const hash = createHash(algorithm);
  await pipeline(createReadStream(file, { highWaterMark: 1 << 20 }), hash, { signal });
  return digestOf(algorithm, hash.digest('hex'));
}

/** Check every stored blob: how many were hashed, and those whose bytes match their names. */
export async function checkBlobs(
  store: Store,
  problems: ProblemList,
  signal?: AbortSignal,
): Promise<{ hashed: number; sound: Set<Digest> }> {
  const sound = new Set<Digest>();
  let hashed = 0;
  for (const algorithm of ALGORITHMS) {
    const dir = path.join(store.layout.blobsDir, algorithm);
    for (const name of await sortedNames(dir)) {
      const object = `${algorithm}:${name}`;
      if (!isDigest(object)) {
        problems.add('leftover', `blobs/${algorithm}/${name}`, 'not a blob name');
        continue;
      }
      hashed += 1;
      try {
        const actual = await hashFile(path.join(dir, name), algorithm, signal);
        if (actual === object) sound.add(object);
        else problems.add('corrupt-blob', object, `content hashes to ${actual}`);
      } catch (err) {
        signal?.throwIfAborted();
        problems.add('corrupt-blob', object, `cannot be read: ${reasonOf(err)}`);
      }
    }
  }
  return { hashed, sound };
}
