/**
 * A legacy image's layer tar, the two ways Docker 1.10's migration got one (spec §4.5 step 2):
 * reassembled from its tar-split metadata and the bodies the driver keeps (the original bytes,
 * so the DiffID a registry knows), or rebuilt from the driver's directories (other bytes: the
 * fallback when there is no metadata, as in 1.6/1.7 graphs, or when a body no longer matches).
 * Bodies come from the layer's own directory: its changes-only directory (aufs, overlay upper)
 * or its whole rootfs (vfs, btrfs, overlay root); both hold every file the layer's tar carried.
 */
import type { Readable } from 'node:stream';
import { changes, exportChanges } from '../../archive/changes/index.ts';
import { createReadStream } from 'node:fs';
import { readTarSplitBatches, reassembleTar } from '../../archive/tar-split/index.ts';
import { ShaleError } from '../../core/errors.ts';
import type { IngestResult, Store } from '../../store/index.ts';
import { packDiffDir } from './diff-tar.ts';
import type { GraphImage } from './graph.ts';

/** The original tar of `image` (which has `tarData`); errors as reassembleTar's. */
export function reassembledLayer(image: GraphImage & { tarData: string }): AsyncIterable<Buffer> {
  return reassembleTar(readTarSplitBatches(createReadStream(image.tarData)), image.files.dir);
}

/** The layer of `image` rebuilt from the driver's directories (`parent`: its parent image). */
export function rebuiltLayer(image: GraphImage, parent: GraphImage | undefined): Readable {
  const { files } = image;
  if (files.kind === 'diff') {
    if (files.lower !== undefined && files.lower !== image.parent) {
      throw new ShaleError(
        'ERR_UNSUPPORTED',
        `its overlay upper directory lies on ${files.lower}, not on its parent, so its changes ` +
          'cannot be told apart from the rootfs',
      );
    }
    return packDiffDir(files.dir, files.whiteouts);
  }
  if (parent && parent.files.kind !== 'rootfs') {
    throw new ShaleError(
      'ERR_UNSUPPORTED',
      `its parent ${parent.id} keeps only its changes, so its own changes cannot be computed`,
    );
  }
  return exportChanges(files.dir, changes(files.dir, parent?.files.dir));
}

/**
 * The layer tar of `image` into the store: reassembled when it can be, else rebuilt, with a
 * warning saying why (and one when its DiffID is not the one a Docker 1.10 migration recorded).
 */
export async function ingestLayerTar(
  store: Store,
  image: GraphImage,
  parent: GraphImage | undefined,
  warn: (message: string) => void,
  signal?: AbortSignal,
): Promise<IngestResult> {
  const rebuilt = `so its layer is rebuilt from the ${image.files.dir} directory, with a DiffID (and image ID) of its own`;
  if (image.tarData === undefined) {
    warn(`legacy image ${image.id} has no tar-split metadata (a Docker 1.6/1.7 graph), ${rebuilt}`);
  } else {
    let failure: Error | undefined;
    const original = async function* (tarData: string) {
      try {
        yield* reassembledLayer({ ...image, tarData });
      } catch (err) {
        failure = err as Error;
        throw err;
      }
    };
    try {
      const blob = await store.content.ingest(original(image.tarData), undefined, {
        signal,
        writeOnThisThread: true,
      });
      if (image.dockerDiffId !== undefined && blob.digest !== image.dockerDiffId) {
        warn(
          `legacy image ${image.id}: its reassembled layer has DiffID ${blob.digest}, but the ` +
            `Docker migration recorded ${image.dockerDiffId}`,
        );
      }
      return blob;
    } catch (err) {
      if (failure === undefined || signal?.aborted) throw err;
      warn(
        `legacy image ${image.id}: its original layer cannot be reassembled (${failure.message}), ${rebuilt}`,
      );
    }
  }
  return store.content.ingest(rebuiltLayer(image, parent), undefined, { signal });
}
