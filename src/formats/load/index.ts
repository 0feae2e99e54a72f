/**
 * `load`: images into the store from whatever a user has — an OCI layout directory, or an
 * archive file or stream (docker-archive, dual docker/OCI, legacy docker-archive, oci-archive;
 * compressed or not).
 */
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { withReadStream } from '../../archive/open-read-stream.ts';
import { ShaleError } from '../../core/errors.ts';
import type { Store } from '../../store/index.ts';
import { loadOciLayout } from '../oci-layout/index.ts';
import { loadArchive, type ArchiveLoadOptions } from './archive.ts';
import type { LoadedImage } from './staged.ts';

export { loadArchive, type ArchiveLoadOptions } from './archive.ts';
export type { LayerLoadProgress } from './register-layers.ts';
export { MAX_ARCHIVE_ENTRIES } from './spool.ts';
export type { LoadedImage, StagedImage, StagedLegacyId } from './staged.ts';

/** Load from a path (an OCI layout directory or an archive file) or from a byte stream. */
export async function loadImages(
  store: Store,
  input: string | Readable,
  options: ArchiveLoadOptions = {},
): Promise<LoadedImage[]> {
  if (typeof input !== 'string') return loadArchive(store, input, options);
  let info;
  try {
    info = await stat(input);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    throw new ShaleError('ERR_NOT_FOUND', `cannot load ${input}: no such file or directory`);
  }
  if (info.isDirectory()) return loadOciLayout(store, input, options);
  return withReadStream(input, (archive) => loadArchive(store, archive, options));
}
