/**
 * Loading an image archive from a byte stream (a file or stdin; plain, gzip, xz, bzip2 or zstd):
 * spool it into the store, then load it by what it holds — `manifest.json`: a docker-archive
 * (1.10+ or the dual layout of Docker 25+); else `index.json`: an oci-archive. The legacy
 * 1.6–1.9 layout (`repositories` and `<id>/json`, no manifest.json) is recognised and refused.
 */
import type { Readable } from 'node:stream';
import { ShaleError } from '../../core/errors.ts';
import type { Additions, Store } from '../../store/index.ts';
import { stageDockerArchive } from '../docker-archive/load.ts';
import { MANIFEST_JSON } from '../docker-archive/manifest-json.ts';
import { INDEX_JSON, stageOciArchive } from '../oci-archive/load.ts';
import type { LoadOptions } from '../oci-layout/index.ts';
import { spoolArchive, type SpooledArchive } from './spool.ts';
import { loadStaged, type LoadedImage, type StagedImage } from './staged.ts';

const LEGACY_LAYER_JSON = /^[a-f0-9]{64}\/json$/;

function isLegacyArchive(archive: SpooledArchive): boolean {
  return archive.fileNames().some((n) => n === 'repositories' || LEGACY_LAYER_JSON.test(n));
}

async function stageArchive(
  store: Store,
  archive: SpooledArchive,
  added: Additions,
  options: LoadOptions,
): Promise<StagedImage[]> {
  if (archive.has(MANIFEST_JSON)) return stageDockerArchive(store, archive, added, options);
  if (archive.has(INDEX_JSON)) return stageOciArchive(store, archive, added, options);
  if (isLegacyArchive(archive)) {
    throw new ShaleError(
      'ERR_UNSUPPORTED',
      'this is a legacy docker-archive (Docker 1.6–1.9: repositories and <id>/json, no manifest.json); loading that format is not supported yet — re-save it with Docker 1.10 or later',
    );
  }
  throw new ShaleError(
    'ERR_INVALID_ARGUMENT',
    `not an image archive: it has neither ${MANIFEST_JSON} (docker-archive) nor ${INDEX_JSON} (oci-archive)`,
  );
}

/** Load every image of the archive `source` streams. */
export async function loadArchive(
  store: Store,
  source: Readable | AsyncIterable<Uint8Array>,
  options: LoadOptions = {},
): Promise<LoadedImage[]> {
  return loadStaged(store, async (added) => {
    const archive = await spoolArchive(store, source, added, options);
    const staged = await stageArchive(store, archive, added, options);
    await archive.discardUnused(store);
    return staged;
  });
}
