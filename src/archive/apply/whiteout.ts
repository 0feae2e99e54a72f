/**
 * Whiteout vocabulary (spec §6): `.wh.<name>` deletes `<name>`, `.wh..wh..opq` makes its directory
 * opaque, other `.wh..wh.*` names are AUFS metadata. Classifies a cleaned entry path.
 */
import { ShaleError } from '../../core/errors.ts';
import type { ByteString } from '../tar/index.ts';
import { display } from './clean.ts';

export const WHITEOUT_PREFIX = '.wh.';
export const WHITEOUT_META_PREFIX = '.wh..wh.';
export const OPAQUE_MARKER = '.wh..wh..opq';
export const AUFS_PLNK = '.wh..wh.plnk';

export type WhiteoutKind =
  | { kind: 'none' }
  | { kind: 'opaque'; dir: ByteString[] }
  | { kind: 'remove'; dir: ByteString[]; name: ByteString }
  // AUFS bookkeeping (.wh..wh.aufs, .wh..wh.orph, .wh..wh.plnk/…): skipped. Regular files directly
  // under .wh..wh.plnk are hard-link sources, stashed by the applier before it classifies.
  | { kind: 'metadata' };

const NONE: WhiteoutKind = { kind: 'none' };

export function classifyWhiteout(segs: readonly ByteString[]): WhiteoutKind {
  const first = segs[0];
  if (first !== undefined && first.startsWith(WHITEOUT_META_PREFIX) && segs.length > 1) {
    return { kind: 'metadata' }; // e.g. .wh..wh.plnk/<ino>.<n>: AUFS hard-link sources
  }
  const base = segs[segs.length - 1];
  if (base === undefined || !base.startsWith(WHITEOUT_PREFIX)) return NONE;
  const dir = segs.slice(0, -1);
  if (base === OPAQUE_MARKER) return { kind: 'opaque', dir };
  if (base.startsWith(WHITEOUT_META_PREFIX)) return { kind: 'metadata' };
  const name = base.slice(WHITEOUT_PREFIX.length);
  if (name === '' || name === '.' || name === '..') {
    throw new ShaleError(
      'ERR_BAD_TAR',
      `whiteout ${display(segs)} names ${display(name)}, which is not a removable entry; refusing the layer`,
    );
  }
  return { kind: 'remove', dir, name };
}
