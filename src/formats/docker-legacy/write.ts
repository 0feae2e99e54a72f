/**
 * Writing the legacy docker-archive of Docker 1.6–1.9 (spec §5.1): one `<id>/` directory per
 * layer with `VERSION` ("1.0"), `json` and `layer.tar`, and `repositories` naming each tag's top
 * ID; entries in directory-walk order (sorted names). An image's IDs are the legacy IDs the store
 * knows it by (the JSON exactly as stored) when they cover its whole layer chain, else the
 * CreateID IDs of `docker save` 1.10+ (§4.4).
 */
import { legacySaveLayers } from '../../core/legacy/index.ts';
import type { Digest } from '../../core/digest.ts';
import type { LayerRecord, Store } from '../../store/index.ts';
import { imageLayerTars, layerTar } from '../save/layer-tar.ts';
import type { SaveItem } from '../save/select.ts';
import type { TarSink } from '../save/sink.ts';
import { encodeRepositories, REPOSITORIES_FILE, type LegacyTag } from './repositories.ts';

/** One legacy image directory of the archive. */
interface LegacyDir {
  id: string;
  json: Uint8Array;
  layer: LayerRecord;
  /** Seconds since the epoch: mtime of `json` and `layer.tar`. */
  mtime: number;
}

const LEGACY_VERSION = Buffer.from('1.0');

/** The stored legacy chain of `image` (base first) when it matches `layers` one to one. */
async function storedChain(
  store: Store,
  image: Digest,
  layers: readonly LayerRecord[],
): Promise<{ id: string; json: Uint8Array }[] | undefined> {
  const top = layers[layers.length - 1];
  const own = await store.legacy.entriesOf(image);
  for (const start of own.filter((e) => e.layer === top?.chainId)) {
    const chain: { id: string; json: Uint8Array }[] = [];
    for (let i = layers.length - 1, entry = start; ; i--) {
      if (entry.layer !== layers[i]!.chainId) break;
      chain.unshift({ id: entry.id, json: await store.legacy.json(entry.id) });
      if (i === 0) {
        if (entry.parent === undefined) return chain;
        break;
      }
      const parent = entry.parent === undefined ? undefined : await store.legacy.get(entry.parent);
      if (!parent) break;
      entry = parent;
    }
  }
  return undefined;
}

async function planImage(store: Store, item: SaveItem): Promise<LegacyDir[]> {
  const { bytes: config, config: parsed } = await store.images.config(item.id);
  const layers = await imageLayerTars(store, item.id);
  const chain =
    (await storedChain(store, item.id, layers)) ?? legacySaveLayers(config, parsed.rootfs.diff_ids);
  const mtime = Math.max(0, Math.floor(Date.parse(parsed.created ?? '') / 1000) || 0);
  return chain.map(({ id, json }, i) => ({ id, json, layer: layers[i]!, mtime }));
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
    await sink.file(`${id}/layer.tar`, layerTar(store, layer, signal), { size: layer.size, mtime });
  }
  const repositories = encodeRepositories(tags);
  if (repositories) await sink.file(REPOSITORIES_FILE, repositories, { size: repositories.length });
}
