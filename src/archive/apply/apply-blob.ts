/**
 * applyLayerBlob: a layer blob as stored or downloaded (any compression) → sniffed, decompressed
 * under the ratio/size caps, and applied with applyLayer.
 */
import type { Readable } from 'node:stream';
import { autoDecompress } from '../compression/index.ts';
import { applyLayer } from './apply-layer.ts';
import type { ApplyBlobOptions, ApplyResult } from './types.ts';

export async function applyLayerBlob(
  root: string,
  blob: AsyncIterable<Uint8Array> | Readable,
  options: ApplyBlobOptions = {},
): Promise<ApplyResult> {
  const { stream } = await autoDecompress(blob, {
    ...(options.maxRatio !== undefined && { maxRatio: options.maxRatio }),
    ...(options.maxDecompressedBytes !== undefined && {
      maxOutputBytes: options.maxDecompressedBytes,
    }),
  });
  try {
    return await applyLayer(root, stream, options);
  } finally {
    stream.destroy();
  }
}
