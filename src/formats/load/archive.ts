/**
 * Loading an image archive from a byte stream (a file or stdin; plain, gzip, xz, bzip2 or zstd):
 * spool it into the store, then load it by what it holds — `manifest.json`: a docker-archive
 * (1.10+ or the dual layout of Docker 25+), whose images also get their CreateID legacy IDs;
 * else `index.json`: an oci-archive; else the legacy 1.6–1.9 layout (`repositories` and
 * `<id>/json`), whose images keep the legacy IDs of the archive.
 */
import type { Readable } from 'node:stream';
import { ShaleError } from '../../core/errors.ts';
import type { ImageWrite, Store } from '../../store/index.ts';
import { stageDockerArchive } from '../docker-archive/load.ts';
import { MANIFEST_JSON } from '../docker-archive/manifest-json.ts';
import { createIdLegacyIds, isLegacyArchive, stageLegacyArchive } from '../docker-legacy/index.ts';
import { INDEX_JSON, stageOciArchive } from '../oci-archive/load.ts';
import type { LoadOptions } from '../oci-layout/index.ts';
import { spoolArchive, type SpooledArchive } from './spool.ts';
import { loadStaged, type LoadedImage, type StagedImage } from './staged.ts';

export interface ArchiveLoadOptions extends LoadOptions {
  /** Told about what the seed only warned about (a legacy checksum that does not match). */
  onWarning?: (message: string) => void;
}

async function stageArchive(
  write: ImageWrite,
  archive: SpooledArchive,
  options: ArchiveLoadOptions,
): Promise<StagedImage[]> {
  if (archive.has(MANIFEST_JSON)) {
    const staged = await stageDockerArchive(write, archive, options);
    return staged.map((image) => ({ ...image, legacyIds: createIdLegacyIds(image.config) }));
  }
  if (archive.has(INDEX_JSON)) return stageOciArchive(write, archive, options);
  if (isLegacyArchive(archive)) return stageLegacyArchive(write, archive, options);
  throw new ShaleError(
    'ERR_INVALID_ARGUMENT',
    `not an image archive: it has neither ${MANIFEST_JSON} (docker-archive), ${INDEX_JSON} (oci-archive) nor legacy <id>/json directories`,
  );
}

/** Load every image of the archive `source` streams. */
export async function loadArchive(
  store: Store,
  source: Readable | AsyncIterable<Uint8Array>,
  options: ArchiveLoadOptions = {},
): Promise<LoadedImage[]> {
  return loadStaged(store, async (write) =>
    stageArchive(write, await spoolArchive(write, source, options), options),
  );
}
