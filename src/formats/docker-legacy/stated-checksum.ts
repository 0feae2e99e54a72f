/**
 * The checksum a legacy image JSON may state (`checksum`, Nov 2014–Jan 2015: a TarSum of the
 * layer diff, spec §2.1/§2.4) checked against the layer actually loaded. As in the seed, a
 * mismatch is only a warning. The layer's TarSum v1 is recorded either way and becomes the
 * legacy image's checksum file.
 */
import { tarsum, type TarsumVersion } from '../../archive/tarsum/index.ts';
import { parseTarsumLabel } from '../../core/digest.ts';
import { ensureLayerTarsum } from '../../legacy/index.ts';
import type { LayerRecord, Store } from '../../store/index.ts';

const VERSIONS: Record<string, TarsumVersion> = { '': 'v0', v1: 'v1', dev: 'dev' };

/** The `checksum` member of the JSON (any case, as Go decodes), when it is a string. */
function statedChecksum(json: Uint8Array): string | undefined {
  let members: Record<string, unknown>;
  try {
    members = JSON.parse(Buffer.from(json).toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined; // Go-only JSON (decoded elsewhere): no checksum to compare
  }
  const key = Object.keys(members).findLast((k) => k.toLowerCase() === 'checksum');
  const value = key === undefined ? undefined : members[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** What the layer's checksum is in the form `stated` uses (TarSum version and hash, or DiffID). */
async function actualChecksum(store: Store, layer: LayerRecord, stated: string): Promise<string> {
  const label = parseTarsumLabel(stated);
  const version = label && VERSIONS[label.version];
  if (!label || !version) return layer.diffId;
  if (version === 'v1' && label.algorithm === 'sha256')
    return ensureLayerTarsum(store, layer.chainId);
  const stream = await store.layers.openDiff(layer.diffId);
  try {
    return await tarsum(stream, { version, hash: label.algorithm });
  } catch {
    return `(not computable as ${stated.slice(0, stated.indexOf(':'))})`;
  } finally {
    stream.destroy();
  }
}

/**
 * Compare the JSON's stated checksum with the layer (warning through `onWarning` on mismatch) and
 * return the layer's TarSum v1, recorded on the layer.
 */
export async function checkStatedChecksum(
  store: Store,
  image: { id: string; json: Uint8Array },
  layer: LayerRecord,
  onWarning?: (message: string) => void,
): Promise<string> {
  const stated = statedChecksum(image.json);
  if (stated !== undefined) {
    const actual = await actualChecksum(store, layer, stated);
    if (actual !== stated) {
      onWarning?.(
        `legacy image ${image.id}: its JSON states checksum ${stated}, but the layer loaded has ${actual}`,
      );
    }
  }
  return ensureLayerTarsum(store, layer.chainId);
}
