/**
 * The store root on disk: an OCI image layout (`oci-layout`, `index.json`, `blobs/<alg>/<hex>`)
 * that skopeo and umoci can read, with shale's own metadata beside it under `shale/`. Finding
 * the root (`--root`, `$SHALE_ROOT`, XDG data home), creating it, and refusing directories that
 * are not shale stores.
 */
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { ShaleError } from '../core/errors.ts';
import { describeStoreFailure, systemErrorReason } from '../core/system-errors.ts';
import { storeFailureContext } from './disk-errors.ts';
import { ownedTempPath, tempWriterState } from './temp-names.ts';

const STORE_MARKER = { format: 'shale-store', version: 1 };
const OCI_LAYOUT = '{"imageLayoutVersion":"1.0.0"}';
const EMPTY_INDEX =
  '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}';
/** Entries a store root may hold while another process is still creating it. */
const LAYOUT_ENTRIES = new Set(['oci-layout', 'index.json', 'blobs', 'shale']);
/** How old a creation leftover must be before it counts as abandoned. */
const STALE_LEFTOVER_MS = 10_000;
/** A temp file of writeIfMissing, left in the root by a creation that was killed. */
const CREATION_LEFTOVER = /^(oci-layout|index\.json)\..+\.tmp$/;

/** Where things live inside a store root. */
export class StoreLayout {
  constructor(readonly root: string) {}

  get blobsDir(): string {
    return path.join(this.root, 'blobs');
  }
  get indexFile(): string {
    return path.join(this.root, 'index.json');
  }
  get metaDir(): string {
    return path.join(this.root, 'shale');
  }
  get markerFile(): string {
    return path.join(this.metaDir, 'store.json');
  }
  /** Temporary files of writes in progress; renamed into place once verified. */
  get ingestDir(): string {
    return path.join(this.metaDir, 'ingest');
  }
  /** Sessions of chunked pushes, to resume them (upload-sessions.ts). */
  get uploadsDir(): string {
    return path.join(this.metaDir, 'uploads');
  }
}

/** The root named by `--root`, else `$SHALE_ROOT`, else `$XDG_DATA_HOME/shale` (`~/.local/share/shale`). */
export function resolveStoreRoot(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit) return path.resolve(explicit);
  if (env.SHALE_ROOT) return path.resolve(env.SHALE_ROOT);
  const dataHome = env.XDG_DATA_HOME || path.join(homedir(), '.local', 'share');
  return path.resolve(dataHome, 'shale');
}

async function isStore(layout: StoreLayout): Promise<boolean> {
  try {
    const marker = JSON.parse(await readFile(layout.markerFile, 'utf8')) as typeof STORE_MARKER;
    return marker.format === STORE_MARKER.format;
  } catch {
    return false;
  }
}

/** Write `content` to `file` unless it exists, atomically (temp file + rename). */
async function writeIfMissing(file: string, content: string): Promise<void> {
  try {
    await readFile(file);
    return;
  } catch {
    const temp = ownedTempPath(file);
    try {
      await writeFile(temp, content, { flag: 'wx' });
      await rename(temp, file);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
  }
}

/** Create what a store root holds that is missing; the marker last. */
async function createLayout(layout: StoreLayout): Promise<void> {
  await mkdir(path.join(layout.blobsDir, 'sha256'), { recursive: true });
  for (const dir of [
    layout.ingestDir,
    path.join(layout.metaDir, 'leases'),
    path.join(layout.metaDir, 'locks'),
    // there from the start, so that a refused extraction leaves no directory behind
    path.join(layout.metaDir, 'snapshots', 'sha256'),
  ]) {
    await mkdir(dir, { recursive: true });
  }
  await writeIfMissing(path.join(layout.root, 'oci-layout'), OCI_LAYOUT);
  await writeIfMissing(layout.indexFile, EMPTY_INDEX);
  await writeIfMissing(layout.markerFile, JSON.stringify(STORE_MARKER));
}

/** Open the store at `root`, creating it when the directory is missing or empty. */
export async function openStoreLayout(root: string): Promise<StoreLayout> {
  const layout = new StoreLayout(path.resolve(root));
  if (await isStore(layout)) return layout;
  let entries: string[];
  try {
    entries = await readdir(layout.root);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new ShaleError(
        'ERR_INVALID_ARGUMENT',
        `cannot use ${layout.root} as a store: ${systemErrorReason(err)} (choose another --root)`,
      );
    }
    entries = [];
  }
  if (!entries.every((e) => LAYOUT_ENTRIES.has(e) || CREATION_LEFTOVER.test(e))) {
    throw new ShaleError(
      'ERR_INVALID_ARGUMENT',
      `${layout.root} is not empty and is not a shale store; choose another --root (or $SHALE_ROOT)`,
    );
  }
  // An interrupted creation finishes here. Its temp files go once their writer is dead (or, for
  // names without a writer, once they are old enough not to be another creator's right now).
  for (const leftover of entries.filter((e) => CREATION_LEFTOVER.test(e))) {
    const file = path.join(layout.root, leftover);
    const age = Date.now() - ((await stat(file).catch(() => undefined))?.mtimeMs ?? Date.now());
    const writer = tempWriterState(leftover, age) ?? (age > STALE_LEFTOVER_MS ? 'dead' : 'alive');
    if (writer === 'dead') await rm(file, { force: true });
  }
  await createLayout(layout).catch((err: unknown) => {
    throw (
      describeStoreFailure(err, storeFailureContext(layout.root, { what: 'a new store' })) ?? err
    );
  });
  return layout;
}
