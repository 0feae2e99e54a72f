/**
 * Staging the images of a docker-archive (1.10+ and the Docker 25+ dual layout) from a spooled
 * archive: manifest.json names each image's config and layer tars by archive path (resolved in
 * scope); every layer's DiffID must be the one its config lists; `RepoTags` are applied as given.
 */
import { createHash } from 'node:crypto';
import type { DecompressOptions } from '../../archive/compression/index.ts';
import { digestOf, isDigest } from '../../core/digest.ts';
import { parseImageConfig } from '../../core/image-config.ts';
import { parseDockerRef } from '../../core/reference.ts';
import type { ImageWrite, Store } from '../../store/index.ts';
import { registerLayers, type RegisterLayersOptions } from '../load/register-layers.ts';
import type { SpooledArchive } from '../load/spool.ts';
import type { StagedImage } from '../load/staged.ts';
import { MANIFEST_JSON, parseDockerManifest } from './manifest-json.ts';

/** Largest config accepted (the image store's own read limit). */
const MAX_CONFIG_BYTES = 16 << 20;

export interface DockerArchiveOptions {
  limits?: DecompressOptions;
  /** Told of each new layer's registration (register-layers.ts). */
  onLayer?: RegisterLayersOptions['onLayer'];
  signal?: AbortSignal;
}

export async function stageDockerArchive(
  write: ImageWrite,
  archive: SpooledArchive,
  options: DockerArchiveOptions = {},
): Promise<StagedImage[]> {
  const { store } = write;
  const items = parseDockerManifest(await archive.read(MANIFEST_JSON, 'the archive'));
  const staged: StagedImage[] = [];
  for (const [n, item] of items.entries()) {
    const what = `${MANIFEST_JSON} item ${n + 1}`;
    const configFile = await archive.take(item.Config, `${what} (Config)`);
    const config = await store.content.read(configFile.digest, MAX_CONFIG_BYTES);
    const { config: parsed } = parseImageConfig(config);
    const references = (item.RepoTags ?? []).map((tag) => parseDockerRef(tag));
    const layers = [];
    for (const [i, name] of item.Layers.entries()) {
      const blob = (await archive.take(name, `${what} (Layers[${i}])`)).digest;
      layers.push({ blob, origin: name });
    }
    await registerLayers(write, what, layers, parsed.rootfs.diff_ids, options);
    const parent = item.Parent !== undefined && isDigest(item.Parent) ? item.Parent : undefined;
    staged.push({ config, references, ...(parent && { parent }) });
  }
  return parentsFirst(store, staged);
}

/**
 * As `docker load`, keep the parent links `docker save` writes (`Parent`, set when both images are
 * saved): parents are created first; a parent neither in the archive nor in the store, or one on
 * a cycle, is dropped.
 */
async function parentsFirst(store: Store, staged: StagedImage[]): Promise<StagedImage[]> {
  const byId = new Map(
    staged.map((s) => [digestOf('sha256', createHash('sha256').update(s.config).digest('hex')), s]),
  );
  const ordered = new Set<StagedImage>();
  const visiting = new Set<StagedImage>();
  const visit = async (image: StagedImage): Promise<void> => {
    if (ordered.has(image)) return;
    visiting.add(image);
    const parent = image.parent && byId.get(image.parent);
    if (parent && !ordered.has(parent)) {
      if (visiting.has(parent)) delete image.parent;
      else await visit(parent);
    } else if (!parent && image.parent && !(await store.images.get(image.parent))) {
      delete image.parent;
    }
    ordered.add(image);
  };
  for (const image of staged) await visit(image);
  return [...ordered];
}
