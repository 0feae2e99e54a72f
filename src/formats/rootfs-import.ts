/**
 * `import`: a root filesystem — a directory, or a tar file in any compression — becomes a
 * one-layer image. A directory is packed the Docker way (spec §7.2); a gzip/zstd/plain tar is
 * kept as received, an xz/bzip2 one is stored decompressed (OCI has no media type for those).
 * The tar is checked entry by entry before anything is registered.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { autoDecompress, peekCompression } from '../archive/compression/index.ts';
import { packDirectory } from '../archive/pack.ts';
import { tarsum } from '../archive/tarsum/index.ts';
import type { Digest } from '../core/digest.ts';
import { ShaleError } from '../core/errors.ts';
import { hostPlatform } from '../core/manifest.ts';
import type { NamedReference } from '../core/reference.ts';
import { withLease, type Store } from '../store/index.ts';

export interface ImportOptions {
  reference?: NamedReference;
  /** `created` of the image and its history entry (default: now). */
  created?: Date;
}

async function sourceStream(path: string): Promise<{ stream: Readable; from: string }> {
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new ShaleError('ERR_NOT_FOUND', `cannot import ${path}: no such file or directory`);
  }
  if (info.isDirectory()) return { stream: packDirectory(path), from: 'directory' };
  const { compression, stream } = await peekCompression(
    createReadStream(path, { highWaterMark: 1 << 20 }),
  );
  if (compression === 'xz' || compression === 'bzip2') {
    return { stream: (await autoDecompress(stream)).stream, from: `${compression} tar` };
  }
  return { stream, from: 'tar' };
}

/**
 * The TarSum v1 of the layer in `blob` (recorded as the layer is created, spec §2.4, as commit and
 * load do); reading it through also proves the blob is a tar.
 */
async function layerTarsum(store: Store, blob: Digest): Promise<string> {
  const { stream } = await autoDecompress(store.content.open(blob));
  try {
    return await tarsum(stream, { version: 'v1' });
  } finally {
    stream.destroy();
  }
}

/** Import `path` as a one-layer image; returns the image ID. */
export async function importRootfs(
  store: Store,
  path: string,
  options: ImportOptions = {},
): Promise<Digest> {
  return withLease(store.layout, async () => {
    const { stream, from } = await sourceStream(path);
    const { digest, existed } = await store.content.ingest(stream);
    let layer;
    try {
      const checksum = await layerTarsum(store, digest);
      layer = await store.layers.registerBlob(undefined, digest);
      if (layer.tarsum === undefined) await store.layers.setTarsum(layer.chainId, checksum);
    } catch (err) {
      if (!existed) await store.layers.removeBlob(digest);
      throw err;
    }
    const created = (options.created ?? new Date()).toISOString();
    const { os, architecture } = hostPlatform();
    const config = {
      architecture,
      os,
      created,
      config: {},
      rootfs: { type: 'layers', diff_ids: [layer.diffId] },
      history: [{ created, created_by: `shale import (${from})`, comment: 'imported' }],
    };
    const image = await store.images.create(Buffer.from(JSON.stringify(config)));
    if (options.reference) await store.references.set(options.reference, image.id);
    return image.id;
  });
}
