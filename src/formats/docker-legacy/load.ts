/**
 * Staging the images of a legacy docker-archive (Docker 1.6–1.9, spec §5.1) from a spooled
 * archive. Every directory name is checked to be a legacy ID (64 lowercase hex, CVE-2014-9358)
 * before anything is registered, and so is each JSON's `id` (it must name its own directory) and
 * `parent`. Images are loaded parents first, as Docker 1.10 loads them: each legacy image's layer
 * is registered on its parent's, its config built by MakeConfigFromV1Config with rootfs and
 * history accumulated (§4.4), and the image keeps its legacy ID. A parent not in the archive
 * must be a legacy image the store knows. Tags come from `repositories`.
 */
import type { DecompressOptions } from '../../archive/compression/index.ts';
import type { Digest } from '../../core/digest.ts';
import { ShaleError } from '../../core/errors.ts';
import { assertLegacyId } from '../../core/legacy-id.ts';
import { decodeV1Image, migrateLegacyImage, type MigratedImage } from '../../legacy/index.ts';
import type { ImageWrite, LayerRecord, Store } from '../../store/index.ts';
import { describeLayerBlob } from '../load/layer-blob.ts';
import type { SpooledArchive } from '../load/spool.ts';
import type { StagedImage } from '../load/staged.ts';
import { checkStatedChecksum } from './stated-checksum.ts';
import { parseRepositories, REPOSITORIES_FILE, type LegacyTag } from './repositories.ts';

/** Largest image JSON accepted. */
const MAX_JSON_BYTES = 16 << 20;
const LEGACY_FILES = new Set(['json', 'layer.tar', 'VERSION']);

export interface LegacyArchiveOptions {
  limits?: DecompressOptions;
  signal?: AbortSignal;
  onWarning?: (message: string) => void;
}

/** True when the archive has the legacy layout's files. */
export function isLegacyArchive(archive: SpooledArchive): boolean {
  return legacyDirectories(archive).length > 0 || archive.has(REPOSITORIES_FILE);
}

/** Names of the top-level directories holding legacy image files (not yet validated). */
function legacyDirectories(archive: SpooledArchive): string[] {
  const dirs = new Set<string>();
  for (const name of archive.fileNames()) {
    const parts = name.split('/');
    if (parts.length === 2 && LEGACY_FILES.has(parts[1]!)) dirs.add(parts[0]!);
  }
  return [...dirs].sort();
}

interface LegacyImageJson {
  id: string;
  parent?: string;
  json: Buffer;
}

async function readImageJson(archive: SpooledArchive, dir: string): Promise<LegacyImageJson> {
  const json = await archive.read(`${dir}/json`, `legacy image ${dir}`, MAX_JSON_BYTES);
  const image = decodeV1Image(json, `${dir}/json`);
  const id = assertLegacyId(image.id as string, `id in ${dir}/json`);
  if (id !== dir) {
    throw new ShaleError(
      'ERR_INVALID_ARGUMENT',
      `${dir}/json names image ${id}, not its own directory: the archive is inconsistent`,
    );
  }
  const parent = image.parent as string;
  if (parent === '') return { id, json };
  return { id, json, parent: assertLegacyId(parent, `parent in ${dir}/json`) };
}

/** Base-first order of `images`; ShaleError for parent cycles. */
function parentsFirst(images: Map<string, LegacyImageJson>): LegacyImageJson[] {
  const ordered: LegacyImageJson[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string): void => {
    if (state.get(id) === 'done') return;
    if (state.get(id) === 'visiting')
      throw new ShaleError('ERR_INVALID_ARGUMENT', `legacy image ${id} is its own ancestor`);
    state.set(id, 'visiting');
    const image = images.get(id)!;
    if (image.parent !== undefined && images.has(image.parent)) visit(image.parent);
    state.set(id, 'done');
    ordered.push(image);
  };
  for (const id of images.keys()) visit(id);
  return ordered;
}

interface Loaded {
  chainId: Digest;
  migrated: MigratedImage;
}

/**
 * A legacy image the store already has, as the base of a child in the archive: its chain is
 * migrated again from the stored JSON and layers, which must give back the image it became.
 */
async function storedParent(store: Store, id: string, child: string): Promise<Loaded> {
  const chain = [];
  for (let next: string | undefined = id; next !== undefined;) {
    const entry = await store.legacy.get(next);
    if (!entry) {
      throw new ShaleError(
        'ERR_NOT_FOUND',
        `legacy image ${child} has ancestor ${next}, which is neither in the archive nor in the store`,
      );
    }
    chain.unshift(entry);
    next = entry.parent;
  }
  let migrated: MigratedImage | undefined;
  for (const entry of chain) {
    const layer = await store.layers.get(entry.layer);
    if (!layer) throw new ShaleError('ERR_NOT_FOUND', `layer ${entry.layer} is not in the store`);
    migrated = migrateLegacyImage(await store.legacy.json(entry.id), layer.diffId, migrated);
  }
  const top = chain[chain.length - 1]!;
  if (migrated!.id !== top.image) {
    throw new ShaleError(
      'ERR_INVALID_ARGUMENT',
      `legacy image ${id} in the store did not come from a legacy load; cannot load ${child} on it`,
    );
  }
  return { chainId: top.layer, migrated: migrated! };
}

/** Register a legacy image's layer on its parent's, through the load's ImageWrite. */
async function registerLayer(
  write: ImageWrite,
  parent: Digest | undefined,
  blob: Digest,
  options: LegacyArchiveOptions,
): Promise<LayerRecord> {
  await describeLayerBlob(write.store, blob, options.limits, options.signal);
  return write.registerLayer(parent, blob, { signal: options.signal });
}

/** The tags of the archive's `repositories` file (none when it has none). */
async function readRepositories(archive: SpooledArchive): Promise<LegacyTag[]> {
  if (!archive.has(REPOSITORIES_FILE)) return [];
  return parseRepositories(await archive.read(REPOSITORIES_FILE, 'the archive', MAX_JSON_BYTES));
}

/** Attach `tags` to the staged images (or stored legacy images) they name. */
async function applyTags(
  store: Store,
  tags: readonly LegacyTag[],
  staged: Map<string, StagedImage>,
): Promise<StagedImage[]> {
  const extra: StagedImage[] = [];
  for (const { reference, legacyId } of tags) {
    const image = staged.get(legacyId);
    if (image) {
      image.references.push(reference);
      continue;
    }
    const entry = await store.legacy.get(legacyId);
    if (!entry) {
      throw new ShaleError(
        'ERR_NOT_FOUND',
        `${REPOSITORIES_FILE} tags ${reference.toString()} as ${legacyId}, which is not in the archive`,
      );
    }
    const { bytes } = await store.images.config(entry.image);
    extra.push({ config: bytes, references: [reference] });
  }
  return extra;
}

export async function stageLegacyArchive(
  write: ImageWrite,
  archive: SpooledArchive,
  options: LegacyArchiveOptions = {},
): Promise<StagedImage[]> {
  const { store } = write;
  const dirs = legacyDirectories(archive);
  for (const dir of dirs) assertLegacyId(dir, 'legacy image directory in the archive');
  const images = new Map<string, LegacyImageJson>();
  for (const dir of dirs) images.set(dir, await readImageJson(archive, dir));
  const tags = await readRepositories(archive);
  const loaded = new Map<string, Loaded>();
  const staged = new Map<string, StagedImage>();
  for (const image of parentsFirst(images)) {
    options.signal?.throwIfAborted();
    const parent =
      image.parent === undefined
        ? undefined
        : (loaded.get(image.parent) ?? (await storedParent(store, image.parent, image.id)));
    const blob = (await archive.take(`${image.id}/layer.tar`, `legacy image ${image.id}`)).digest;
    const layer = await registerLayer(write, parent?.chainId, blob, options);
    const checksum = await checkStatedChecksum(store, image, layer, options.onWarning);
    const migrated = migrateLegacyImage(image.json, layer.diffId, parent?.migrated);
    loaded.set(image.id, { chainId: layer.chainId, migrated });
    staged.set(image.id, {
      config: Buffer.from(migrated.config),
      references: [],
      ...(parent && { parent: parent.migrated.id }),
      legacyIds: [
        {
          id: image.id,
          ...(image.parent !== undefined && { parent: image.parent }),
          layer: layer.chainId,
          json: image.json,
          checksum,
        },
      ],
    });
  }
  const retagged = await applyTags(store, tags, staged);
  return [...staged.values(), ...retagged];
}
