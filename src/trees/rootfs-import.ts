/**
 * `import`: a root filesystem — a directory, or a tar file in any compression — becomes a
 * one-layer image. A directory is packed the Docker way (spec §7.2); a tar file is decompressed
 * (under the bomb limits), read only up to its end-of-archive marker (so an endless input ends),
 * and stored plain, as Docker applies an import and keeps no compressed blob (push gzips it).
 * The tar is checked entry by entry before anything is registered. The config is the one
 * `docker import` writes (comment, created, config with `--change` applied, architecture, os,
 * rootfs, a history entry with the comment), less `docker_version` and the empty
 * `container_config`: no Docker and no container made it.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { autoDecompress } from '../archive/compression/index.ts';
import { packDirectory } from '../archive/pack.ts';
import { untilTarEnd } from '../archive/tar/index.ts';
import { tarsum } from '../archive/tarsum/index.ts';
import { applyChanges } from '../core/config-change/index.ts';
import { emptyContainerConfig } from '../core/container-config.ts';
import type { Digest } from '../core/digest.ts';
import { ShaleError } from '../core/errors.ts';
import { formatGoDate } from '../core/go-time.ts';
import { hostPlatform } from '../core/manifest.ts';
import type { NamedReference } from '../core/reference.ts';
import { writeImages, type Store } from '../store/index.ts';

export interface ImportOptions {
  reference?: NamedReference;
  /** `created` of the image and its history entry (default: now). */
  created?: Date;
  /** The image's comment (default `Imported from <path>`, as docker's `Imported from <src>`). */
  message?: string;
  /** Dockerfile instructions applied to the (empty) container config, as `docker import -c`. */
  changes?: readonly string[];
}

/** The layer tar's bytes: a directory packed, a tar file or stream decompressed up to its end. */
async function sourceStream(path: string | Readable): Promise<Readable> {
  if (typeof path !== 'string') return tarUntilEnd(path);
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new ShaleError('ERR_NOT_FOUND', `cannot import ${path}: no such file or directory`);
  }
  if (info.isDirectory()) return packDirectory(path);
  return tarUntilEnd(createReadStream(path, { highWaterMark: 1 << 20 }));
}

async function tarUntilEnd(input: Readable): Promise<Readable> {
  const { stream } = await autoDecompress(input);
  return Readable.from(untilTarEnd(stream));
}

/**
 * The TarSum v1 of the plain layer tar `blob` (recorded as the layer is created, spec §2.4, as commit and
 * load do); reading it through also proves the blob is a tar, and one with entries (Docker
 * refuses an empty archive too).
 */
async function layerTarsum(store: Store, blob: Digest, path: string): Promise<string> {
  const stream = store.content.open(blob);
  try {
    let info = { entries: 0, bytes: 0 };
    const checksum = await tarsum(
      untilTarEnd(stream, (end) => (info = end)),
      { version: 'v1' },
    );
    if (info.entries === 0) {
      throw new ShaleError(
        'ERR_BAD_TAR',
        info.bytes === 0
          ? `cannot import ${path}: it is empty (no tar data)`
          : `cannot import ${path}: it is an empty tar archive (no entries before its end-of-archive marker)`,
      );
    }
    return checksum;
  } finally {
    stream.destroy();
  }
}

/**
 * Import `source` — a directory or tar file path, or a tar stream (named `-`, as docker names
 * standard input) — as a one-layer image; returns the image ID.
 */
export async function importRootfs(
  store: Store,
  source: string | Readable,
  options: ImportOptions = {},
): Promise<Digest> {
  const name = typeof source === 'string' ? source : '-';
  const config = applyChanges(emptyContainerConfig(), options.changes ?? []);
  const comment = options.message || `Imported from ${name}`;
  return writeImages(store, async (write) => {
    const stream = await sourceStream(source);
    const { digest, existed } = await store.content.ingest(stream);
    await write.noteBlob(digest, existed);
    const checksum = await layerTarsum(store, digest, name);
    const layer = await write.registerLayer(undefined, digest);
    if (layer.tarsum === undefined) await store.layers.setTarsum(layer.chainId, checksum);
    const created = formatGoDate(options.created ?? new Date());
    const { os, architecture } = hostPlatform();
    // top-level keys sorted, as Docker writes image configs
    const imageConfig = {
      architecture,
      comment,
      config,
      created,
      history: [{ created, comment }],
      os,
      rootfs: { type: 'layers', diff_ids: [layer.diffId] },
    };
    const image = await write.commit({
      config: Buffer.from(JSON.stringify(imageConfig)),
      ...(options.reference && { references: [options.reference], markTagged: true }),
    });
    return image.id;
  });
}
