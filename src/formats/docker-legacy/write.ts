/**
 * Writing the legacy docker-archive of Docker 1.6–1.9 (spec §5.1): one `<id>/` directory per v1
 * image with `VERSION` ("1.0"), `json` and `layer.tar`, and `repositories` naming each tag's top
 * ID; entries in directory-walk order (sorted names). There is one v1 image per history entry,
 * empty layers included (their `layer.tar` an empty tar), so that a load gives every entry back.
 * An image the store knows legacy IDs for is written under those IDs with their stored JSON
 * (stored-chain.ts); any other gets fresh ones, its top JSON holding the whole config
 * (core/legacy/history-images.ts).
 */
import type { ParsedImageConfig } from '../../core/image-config.ts';
import { EMPTY_LAYER_TAR, identifiedV1Json, legacyHistoryImages } from '../../legacy/index.ts';
import type { LayerRecord, Store } from '../../store/index.ts';
import { imageLayerTars, layerTar } from '../save/layer-tar.ts';
import type { SaveItem } from '../save/select.ts';
import type { TarSink } from '../save/sink.ts';
import { encodeRepositories, REPOSITORIES_FILE, type LegacyTag } from './repositories.ts';
import { storedLegacyChain } from './stored-chain.ts';

/** One legacy image directory of the archive. */
interface LegacyDir {
  id: string;
  json: Uint8Array;
  /** The layer it adds; absent for an empty layer. */
  layer?: LayerRecord;
  /** Seconds since the epoch: mtime of `json` and `layer.tar`. */
  mtime: number;
}

type PlannedDir = Omit<LegacyDir, 'mtime'>;

const LEGACY_VERSION = Buffer.from('1.0');

/** The v1 images of `image`, base first, under the legacy IDs the store has for it. */
async function storedDirs(
  store: Store,
  image: ParsedImageConfig,
  layers: readonly LayerRecord[],
): Promise<PlannedDir[] | undefined> {
  const chain = await storedLegacyChain(store, image);
  if (!chain) return undefined;
  const byChainId = new Map(layers.map((l) => [l.chainId, l]));
  const dirs: PlannedDir[] = [];
  for (const [i, { id, parent, layer }] of chain.entries()) {
    const json = identifiedV1Json(await store.legacy.json(id), id, parent);
    const adds = i === 0 || layer !== chain[i - 1]!.layer;
    dirs.push({ id, json, ...(adds && { layer: byChainId.get(layer)! }) });
  }
  return dirs;
}

/** Fresh v1 images of an image with config `config`, base first. */
function freshDirs(config: Uint8Array, layers: readonly LayerRecord[]): PlannedDir[] {
  return legacyHistoryImages(config).map(({ id, json, layer }) => ({
    id,
    json,
    ...(layer !== undefined && { layer: layers[layer]! }),
  }));
}

async function planImage(store: Store, item: SaveItem): Promise<LegacyDir[]> {
  const image = await store.images.config(item.id);
  const layers = await imageLayerTars(store, item.id);
  const dirs = (await storedDirs(store, image, layers)) ?? freshDirs(image.bytes, layers);
  const created = Date.parse(image.config.created ?? '');
  const mtime = Math.max(0, Math.floor(created / 1000) || 0);
  return dirs.map((dir) => ({ ...dir, mtime }));
}

/** Write the images of `items` as a legacy docker-archive into `sink`. */
export async function writeLegacyArchive(
  store: Store,
  items: readonly SaveItem[],
  sink: TarSink,
  signal?: AbortSignal,
): Promise<void> {
  const dirs = new Map<string, LegacyDir>();
  const tags: LegacyTag[] = [];
  for (const item of items) {
    const chain = await planImage(store, item);
    for (const dir of chain) if (!dirs.has(dir.id)) dirs.set(dir.id, dir);
    const top = chain[chain.length - 1]!;
    for (const reference of item.tags) tags.push({ reference, legacyId: top.id });
  }
  for (const id of [...dirs.keys()].sort()) {
    const { json, layer, mtime } = dirs.get(id)!;
    await sink.directory(id);
    await sink.file(`${id}/VERSION`, LEGACY_VERSION, { size: LEGACY_VERSION.length });
    await sink.file(`${id}/json`, json, { size: json.length, mtime });
    const tar = layer ? layerTar(store, layer, signal) : EMPTY_LAYER_TAR;
    const size = layer?.tarSize ?? EMPTY_LAYER_TAR.length;
    await sink.file(`${id}/layer.tar`, tar, { size, mtime });
  }
  const repositories = encodeRepositories(tags);
  if (repositories) await sink.file(REPOSITORIES_FILE, repositories, { size: repositories.length });
}
