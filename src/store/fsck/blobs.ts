/**
 * The content store's blobs against their names: each is streamed through its digest's hash
 * (constant memory); a file under `blobs/<alg>/` that is not named by a digest is reported too.
 * A layer blob (one with a blob info) is decompressed in the same read, unless quick, so a full
 * check reads each layer once; layers.ts compares what that read found with the records. Two
 * blobs are read at once (the decompression runs beside the hashing).
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { computeDiffId, type DiffIdResult } from '../../archive/diffid.ts';
import { digestOf, isDigest, type Digest, type DigestAlgorithm } from '../../core/digest.ts';
import type { Store } from '../store.ts';
import { sortedNames } from './files.ts';
import { reasonOf, type ProblemList } from './problems.ts';

const ALGORITHMS: readonly DigestAlgorithm[] = ['sha256', 'sha512'];
/** Blobs read at once. */
const WIDTH = 2;

/** What reading a blob's bytes found. */
export interface BlobReading {
  /** The bytes hash to the blob's name. */
  sound: boolean;
  /** A layer blob's decompression (full check): its result, or why it failed. */
  decompressed?: DiffIdResult | { error: string };
}

export interface BlobsChecked {
  /** Blobs whose bytes were hashed. */
  hashed: number;
  readings: Map<Digest, BlobReading>;
  /** Blobs whose bytes do not hash to their names (or cannot be read). */
  corrupt: Digest[];
}

const open = (file: string) => createReadStream(file, { highWaterMark: 1 << 20 });

async function hashFile(file: string, algorithm: DigestAlgorithm, signal?: AbortSignal) {
  const hash = createHash(algorithm);
  await pipeline(open(file), hash, { signal });
  return digestOf(algorithm, hash.digest('hex'));
}

/** Passes bytes through unchanged, hashing and counting them. */
class HashingTap extends Transform {
  bytes = 0;
  constructor(readonly hash: Hash) {
    super({ highWaterMark: 1 << 20 });
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    done(null, chunk);
  }
}

/** Hash a layer blob and decompress it in one read. */
async function readLayerBlob(
  file: string,
  algorithm: DigestAlgorithm,
  signal?: AbortSignal,
): Promise<{ digest: Digest; decompressed: BlobReading['decompressed'] }> {
  const tap = new HashingTap(createHash(algorithm));
  const piped = pipeline(open(file), tap);
  piped.catch(() => undefined); // surfaced by the decompression reading `tap`
  try {
    const decompressed = await computeDiffId(tap, { signal });
    await piped;
    // A decompressor reads its input to the end (trailing bytes are an error); checked anyway.
    if (tap.bytes === (await stat(file)).size)
      return { digest: digestOf(algorithm, tap.hash.digest('hex')), decompressed };
    return { digest: await hashFile(file, algorithm, signal), decompressed };
  } catch (err) {
    signal?.throwIfAborted();
    tap.destroy();
    // The bytes did not decompress: whether they are the blob's own is a second read's question.
    return {
      digest: await hashFile(file, algorithm, signal),
      decompressed: { error: reasonOf(err) },
    };
  }
}

/**
 * Run `task` on each item, at most `width` at once, handing the results to `use` in the items'
 * order (so problems are reported in a stable order).
 */
async function inOrder<T, R>(
  items: readonly T[],
  width: number,
  task: (item: T) => Promise<R>,
  use: (item: T, result: R) => void,
): Promise<void> {
  const started: Promise<R>[] = [];
  const start = (i: number): void => {
    if (i >= items.length) return;
    const running = task(items[i]!);
    running.catch(() => undefined); // awaited below, in order
    started.push(running);
  };
  for (let i = 0; i < width; i++) start(i);
  for (let i = 0; i < items.length; i++) {
    const result = await started[i]!;
    start(i + width);
    use(items[i]!, result);
  }
}

type Outcome = { reading: BlobReading; actual?: Digest } | { unreadable: string };

/** Check every stored blob: decompressing layer blobs unless `quick`. */
export async function checkBlobs(
  store: Store,
  problems: ProblemList,
  options: { quick: boolean; signal?: AbortSignal },
): Promise<BlobsChecked> {
  const { quick, signal } = options;
  const checked: BlobsChecked = { hashed: 0, readings: new Map(), corrupt: [] };
  const blobs: { digest: Digest; algorithm: DigestAlgorithm; file: string }[] = [];
  for (const algorithm of ALGORITHMS) {
    const dir = path.join(store.layout.blobsDir, algorithm);
    for (const name of await sortedNames(dir)) {
      const digest = `${algorithm}:${name}`;
      if (isDigest(digest)) blobs.push({ digest, algorithm, file: path.join(dir, name) });
      else problems.add('leftover', `blobs/${algorithm}/${name}`, 'not a blob name');
    }
  }
  const read = async ({ digest, algorithm, file }: (typeof blobs)[number]): Promise<Outcome> => {
    try {
      const layer = !quick && (await store.layers.blobInfo(digest).catch(() => undefined));
      const { digest: actual, decompressed } = layer
        ? await readLayerBlob(file, algorithm, signal)
        : { digest: await hashFile(file, algorithm, signal), decompressed: undefined };
      if (actual !== digest) return { reading: { sound: false }, actual };
      return { reading: { sound: true, ...(decompressed && { decompressed }) } };
    } catch (err) {
      signal?.throwIfAborted();
      return { unreadable: reasonOf(err) };
    }
  };
  await inOrder(blobs, WIDTH, read, ({ digest }, outcome) => {
    checked.hashed += 1;
    if ('unreadable' in outcome) {
      problems.add('corrupt-blob', digest, `cannot be read: ${outcome.unreadable}`);
      checked.readings.set(digest, { sound: false });
    } else {
      if (outcome.actual)
        problems.add('corrupt-blob', digest, `content hashes to ${outcome.actual}`);
      checked.readings.set(digest, outcome.reading);
    }
    if (!checked.readings.get(digest)!.sound) checked.corrupt.push(digest);
  });
  return checked;
}
