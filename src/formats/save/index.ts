/**
 * `save`: images out of the store as a docker-archive (the Docker 25+ dual layout), a legacy
 * docker-archive (Docker 1.6–1.9), an oci-archive, or an OCI layout directory. Archives are streamed into any writable (a file,
 * stdout) with constant memory; a directory must be absent or empty.
 */
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { TarWriter } from '../../archive/tar/index.ts';
import { ShaleError } from '../../core/errors.ts';
import type { Store } from '../../store/index.ts';
import { writeDockerArchive } from '../docker-archive/write.ts';
import { writeLegacyArchive } from '../docker-legacy/write.ts';
import { writeOciLayout } from '../oci-archive/write.ts';
import { selectImages, type SaveItem } from './select.ts';
import { DirectorySink, TarSink } from './sink.ts';

export { selectImages, type SaveItem } from './select.ts';
export { checkArchiveDestination, PendingArchiveFile } from './archive-file.ts';

export const SAVE_FORMATS = ['docker', 'docker-legacy', 'oci', 'oci-dir'] as const;
export type SaveFormat = (typeof SAVE_FORMATS)[number];

/** Where the images go: an archive stream (left open for the caller to close) or a directory. */
export type SaveTarget =
  | { format: 'docker' | 'docker-legacy' | 'oci'; output: Writable }
  | { format: 'oci-dir'; dir: string };

export interface SaveOptions {
  signal?: AbortSignal;
}

async function saveArchive(
  write: (sink: TarSink) => Promise<void>,
  output: Writable,
): Promise<void> {
  const tar = new TarWriter();
  const produce = async () => {
    try {
      await write(new TarSink(tar));
      await tar.finish();
    } catch (err) {
      tar.stream.destroy(err as Error);
      throw err;
    }
  };
  await Promise.all([produce(), pipeline(tar.stream, output, { end: false })]);
}

async function assertEmptyOrAbsent(dir: string): Promise<boolean> {
  try {
    if ((await readdir(dir)).length > 0)
      throw new ShaleError(
        'ERR_INVALID_ARGUMENT',
        `${dir} is not empty; save into a new directory`,
      );
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

async function saveDirectory(store: Store, items: SaveItem[], dir: string): Promise<void> {
  const existed = await assertEmptyOrAbsent(dir);
  const sink = new DirectorySink(dir);
  try {
    await sink.directory('.');
    await writeOciLayout(store, items, sink);
  } catch (err) {
    if (existed) {
      for (const name of await readdir(dir))
        await rm(path.join(dir, name), { recursive: true, force: true });
    } else {
      await rm(dir, { recursive: true, force: true });
    }
    throw err;
  }
}

/** Save the images `names` (references, IDs or ID prefixes) to `target`. */
export async function saveImages(
  store: Store,
  names: readonly string[],
  target: SaveTarget,
  options: SaveOptions = {},
): Promise<void> {
  const items = await selectImages(store, names);
  switch (target.format) {
    case 'docker':
      return saveArchive(
        (sink) => writeDockerArchive(store, items, sink, options.signal),
        target.output,
      );
    case 'docker-legacy':
      return saveArchive(
        (sink) => writeLegacyArchive(store, items, sink, options.signal),
        target.output,
      );
    case 'oci':
      return saveArchive((sink) => writeOciLayout(store, items, sink), target.output);
    case 'oci-dir':
      return saveDirectory(store, items, target.dir);
  }
}
