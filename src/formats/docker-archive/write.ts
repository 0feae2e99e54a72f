/**
 * Writing a docker-archive the way Docker 25+ does, readable by `docker load` since 1.10 and by
 * OCI tools (a dual layout): each layer once, as its uncompressed tar at `blobs/sha256/<DiffID>`;
 * `manifest.json` points at those blobs and at the config blob; `index.json` and OCI manifests
 * (layers typed `…layer.v1.tar`, digest = DiffID) make the same files an OCI layout. For tools of
 * the 1.x era there are also the legacy `<v1 id>/{VERSION,json}` directories (v1 IDs from
 * CreateID, spec §4.4) whose `layer.tar` is a symlink to the layer blob — never a second copy —
 * and `repositories` naming the top v1 ID of each tag. Small metadata comes first, layers last.
 */
import { legacySaveLayers, type LegacySaveLayer } from '../../legacy/index.ts';
import { createHash } from 'node:crypto';
import { digestOf, parseDigest, type Digest } from '../../core/digest.ts';
import { Annotations, MediaTypes } from '../../core/media-types.ts';
import { familiarName, familiarString } from '../../core/reference.ts';
import type { LayerRecord, Store } from '../../store/index.ts';
import { imageLayerTars, layerTar } from '../save/layer-tar.ts';
import type { SaveItem } from '../save/select.ts';
import { OCI_LAYOUT_MARKER, type TarSink } from '../save/sink.ts';
import { encodeDockerManifest, MANIFEST_JSON, type DockerManifestItem } from './manifest-json.ts';

interface ImagePlan {
  item: SaveItem;
  config: Buffer;
  /** Image creation time in seconds (mtime of its config and layers). */
  created: number;
  layers: LayerRecord[];
  legacy: LegacySaveLayer[];
  manifest: Buffer;
  manifestDigest: Digest;
}

/** Contents of each legacy layer directory's `VERSION` file. */
const LEGACY_VERSION = Buffer.from('1.0');

const blobName = (digest: Digest) => `blobs/sha256/${parseDigest(digest).hex}`;

function ociManifest(id: Digest, config: Buffer, layers: LayerRecord[]): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaTypes.ociManifest,
      config: { mediaType: MediaTypes.ociConfig, digest: id, size: config.length },
      layers: layers.map((l) => ({
        mediaType: MediaTypes.ociLayer,
        digest: l.diffId,
        size: l.tarSize,
      })),
    }),
  );
}

async function planImage(store: Store, item: SaveItem): Promise<ImagePlan> {
  const { bytes: config, config: parsed } = await store.images.config(item.id);
  const layers = await imageLayerTars(store, item.id);
  const legacy = legacySaveLayers(config, parsed.rootfs.diff_ids);
  const created = Math.max(0, Math.floor(Date.parse(parsed.created ?? '') / 1000) || 0);
  const manifest = ociManifest(item.id, config, layers);
  const manifestDigest = digestOf('sha256', createHash('sha256').update(manifest).digest('hex'));
  return { item, config, created, layers, legacy, manifest, manifestDigest };
}

function manifestJson(plans: ImagePlan[]): Buffer {
  const items: DockerManifestItem[] = plans.map(({ item, layers }) => ({
    Config: blobName(item.id),
    RepoTags: item.tags.length > 0 ? item.tags.map((t) => familiarString(t)) : null,
    Layers: layers.map((l) => blobName(l.diffId)),
  }));
  return encodeDockerManifest(items);
}

function indexJson(plans: ImagePlan[]): Buffer {
  const manifests = plans.flatMap(({ item, manifest, manifestDigest }) => {
    const descriptor = {
      mediaType: MediaTypes.ociManifest,
      digest: manifestDigest,
      size: manifest.length,
    };
    if (item.tags.length === 0) return [descriptor];
    return item.tags.map((tag) => ({
      ...descriptor,
      annotations: {
        [Annotations.containerdName]: tag.toString(),
        [Annotations.refName]: tag.tag!,
      },
    }));
  });
  return Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests }),
  );
}

/** `repositories`: familiar repository → tag → top v1 ID; undefined when nothing is tagged. */
function repositoriesJson(plans: ImagePlan[]): Buffer | undefined {
  const repos = new Map<string, Map<string, string>>();
  for (const { item, legacy } of plans) {
    for (const tag of item.tags) {
      const name = familiarName(tag);
      if (!repos.has(name)) repos.set(name, new Map());
      repos.get(name)!.set(tag.tag!, legacy[legacy.length - 1]!.id);
    }
  }
  if (repos.size === 0) return undefined;
  const sorted = Object.fromEntries(
    [...repos.keys()].sort().map((name) => {
      const tags = repos.get(name)!;
      return [name, Object.fromEntries([...tags.keys()].sort().map((t) => [t, tags.get(t)]))];
    }),
  );
  return Buffer.from(`${JSON.stringify(sorted)}\n`);
}

/** Write the images of `items` as a docker-archive into `sink`. */
export async function writeDockerArchive(
  store: Store,
  items: readonly SaveItem[],
  sink: TarSink,
  signal?: AbortSignal,
): Promise<void> {
  const plans: ImagePlan[] = [];
  for (const item of items) plans.push(await planImage(store, item));
  await sink.file('oci-layout', OCI_LAYOUT_MARKER, { size: OCI_LAYOUT_MARKER.length });
  for (const [name, bytes] of [
    ['index.json', indexJson(plans)],
    [MANIFEST_JSON, manifestJson(plans)],
    ['repositories', repositoriesJson(plans)],
  ] as const) {
    if (bytes) await sink.file(name, bytes, { size: bytes.length });
  }
  await sink.directory('blobs');
  await sink.directory('blobs/sha256');
  const written = new Set<string>();
  const once = async (key: string, write: () => Promise<void>) => {
    if (written.has(key)) return;
    written.add(key);
    await write();
  };
  for (const { item, config, created, manifest, manifestDigest } of plans) {
    await once(item.id, () =>
      sink.file(blobName(item.id), config, { size: config.length, mtime: created }),
    );
    await once(manifestDigest, () =>
      sink.file(blobName(manifestDigest), manifest, { size: manifest.length }),
    );
  }
  for (const { layers, legacy, created } of plans) {
    for (const [i, layer] of layers.entries()) {
      const { id, json } = legacy[i]!;
      await once(layer.diffId, () =>
        sink.file(blobName(layer.diffId), layerTar(store, layer, signal), {
          size: layer.tarSize,
          mtime: created,
        }),
      );
      await once(id, async () => {
        await sink.directory(id);
        await sink.file(`${id}/VERSION`, LEGACY_VERSION, { size: LEGACY_VERSION.length });
        await sink.file(`${id}/json`, json, { size: json.length, mtime: created });
        await sink.symlink(`${id}/layer.tar`, `../${blobName(layer.diffId)}`);
      });
    }
  }
}
