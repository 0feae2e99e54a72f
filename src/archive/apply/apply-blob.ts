/**
 * applyLayerBlob: a layer blob as stored or downloaded (any compression) → sniffed, decompressed
 * under the ratio/size caps, and applied with applyLayer; optionally hashed on the way, so one
 * read both extracts the layer and proves its DiffID.
 */
import type { Readable } from 'node:stream';
import { autoDecompress } from '../compression/index.ts';
import { DiffIdTap, type DiffIdResult } from '../diffid.ts';
import { applyLayer } from './apply-layer.ts';
import type { ApplyBlobOptions, ApplyResult } from './types.ts';

export async function applyLayerBlob(
  root: string,
  blob: AsyncIterable<Uint8Array> | Readable,
  options: ApplyBlobOptions & { diffId: true },
): Promise<ApplyResult & { diffId: DiffIdResult }>;
export async function applyLayerBlob(
  root: string,
  blob: AsyncIterable<Uint8Array> | Readable,
  options?: ApplyBlobOptions,
): Promise<ApplyResult>;
export async function applyLayerBlob(
  root: string,
  blob: AsyncIterable<Uint8Array> | Readable,
  options: ApplyBlobOptions = {},
): Promise<ApplyResult & { diffId?: DiffIdResult }> {
  const { compression, stream } = await autoDecompress(blob, {
    ...(options.maxRatio !== undefined && { maxRatio: options.maxRatio }),
    ...(options.maxDecompressedBytes !== undefined && {
      maxOutputBytes: options.maxDecompressedBytes,
    }),
  });
  // The applier counts the content size from its own headers: the tap only hashes.
  const tap = options.diffId
    ? new DiffIdTap(stream, compression, { signal: options.signal })
    : undefined;
  try {
    const applied = await applyLayer(root, tap ? tap.reader() : stream, {
      ...options,
      countContent: options.countContent ?? options.diffId,
    });
    if (!tap) return applied;
    return { ...applied, diffId: { ...(await tap.result()), contentSize: applied.contentSize } };
  } finally {
    tap?.destroy();
    stream.destroy();
  }
}
