/**
 * What a pull checks before it asks for a blob: the manifest's layer count (a layer chain holds at
 * most 125), the config's stated size, the media types (an image config, image layers), and, once
 * the small config is read, one DiffID per layer — so that a hostile or mistaken manifest is
 * refused before the first layer request, not after thousands. (A config whose platform differs
 * from its index entry is accepted, as Docker 20.10 accepts it with a warning.)
 */
import type { Digest } from '../../core/digest.ts';
import { ShaleError } from '../../core/errors.ts';
import type { ImageConfig } from '../../core/image-config.ts';
import type { ImageManifest } from '../../core/manifest.ts';
import { isConfig, isLayer } from '../../core/media-types.ts';
import { MAX_LAYER_DEPTH } from '../../store/index.ts';

/** The largest image config a pull reads (it is held in memory). */
export const MAX_CONFIG_BYTES = 8 << 20;

/** Refuses more layers than a layer chain may hold, before any is fetched. */
export function checkLayerCount(count: number, where: string): void {
  if (count > MAX_LAYER_DEPTH) {
    throw new ShaleError(
      'ERR_LIMIT',
      `${where} has ${count} layers; an image may have at most ${MAX_LAYER_DEPTH}`,
    );
  }
}

/** Checks what an image manifest states before its config or any layer is requested. */
export function checkManifest(manifest: ImageManifest, where: string): void {
  checkLayerCount(manifest.layers.length, where);
  const { config } = manifest;
  if (!isConfig(config.mediaType)) {
    throw new ShaleError(
      'ERR_UNSUPPORTED',
      `${where} is not a container image: its config has media type ${config.mediaType}`,
    );
  }
  if (config.size > MAX_CONFIG_BYTES) {
    throw new ShaleError(
      'ERR_LIMIT',
      `${where} states a config of ${config.size} bytes; at most ${MAX_CONFIG_BYTES} are read`,
    );
  }
  for (const [i, layer] of manifest.layers.entries()) {
    if (!isLayer(layer.mediaType)) {
      throw new ShaleError(
        'ERR_UNSUPPORTED',
        `${where}: layer ${i + 1} (${layer.digest}) has media type ${layer.mediaType}, which is not an image layer`,
      );
    }
  }
}

/** Checks the config against its manifest before any layer is requested: one DiffID per layer. */
export function checkConfig(config: ImageConfig, manifest: ImageManifest, where: string): void {
  const diffIds: readonly Digest[] = config.rootfs.diff_ids;
  if (diffIds.length !== manifest.layers.length) {
    throw new ShaleError(
      'ERR_INVALID_ARGUMENT',
      `${where}: the manifest lists ${manifest.layers.length} layers but the config ${diffIds.length} diff_ids`,
    );
  }
}
