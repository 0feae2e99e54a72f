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
import { readTarSplit, reassembleTar } from '../../archive/tar-split/index.ts';
import { ShaleError } from '../../core/errors.ts';
import { packDiffDir } from './diff-tar.ts';
import type { GraphImage } from './graph.ts';

/** The original tar of `image` (which has `tarData`); errors as reassembleTar's. */
export function reassembledLayer(image: GraphImage & { tarData: string }): AsyncIterable<Buffer> {
  const records = readTarSplit(createReadStream(image.tarData));
  return reassembleTar(records, image.files.dir);
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
