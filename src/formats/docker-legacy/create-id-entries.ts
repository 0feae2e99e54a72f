/**
 * The legacy IDs a docker-archive (1.10+) image is recorded under when loaded: the CreateID IDs
 * `docker save` names its layer directories by (spec §4.4), one per layer, chained by parent.
 */
import type { Digest } from '../../core/digest.ts';
import { chainIdOf } from '../../core/ids.ts';
import { parseImageConfig } from '../../core/image-config.ts';
import { legacySaveLayers } from '../../legacy/index.ts';
import type { StagedLegacyId } from '../load/staged.ts';

/** The legacy IDs of the image with config `config`; none for an image without layers. */
export function createIdLegacyIds(config: Uint8Array): StagedLegacyId[] {
  const diffIds: readonly Digest[] = parseImageConfig(config).config.rootfs.diff_ids;
  if (diffIds.length === 0) return [];
  return legacySaveLayers(config, diffIds).map(({ id, parent, json }, i) => ({
    id,
    ...(parent !== undefined && { parent }),
    layer: chainIdOf(diffIds.slice(0, i + 1))!,
    json,
  }));
}
