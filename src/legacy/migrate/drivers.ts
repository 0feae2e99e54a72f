/**
 * The graph drivers of a Docker 1.x root whose layers are plain directories, and which one a root
 * uses. Each says where a layer's files are: its whole root filesystem (vfs, btrfs subvolumes,
 * overlay's `root`) or only what it changed, with its driver's whiteouts (aufs `diff/`, overlay's
 * `upper` over the `root` of `lower-id`). Docker 1.x picks the driver whose directory (or tag
 * store) is present; so does shale. Other drivers (devicemapper, zfs, …) keep layers in block
 * devices or datasets that shale cannot read: refused, saying what to do instead.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { ShaleError } from '../../core/errors.ts';
import { assertLegacyId } from '../../core/legacy-id.ts';

/** Where a layer's files are. */
export type LayerFiles =
  /** The layer's whole root filesystem. */
  | { kind: 'rootfs'; dir: string }
  /** Only what the layer changed; `lower` (overlay): the legacy ID whose rootfs it lies on. */
  | { kind: 'diff'; dir: string; whiteouts: 'aufs' | 'overlay'; lower?: string };

export interface GraphDriver {
  readonly name: string;
  layer(id: string): Promise<LayerFiles>;
}

const isDir = async (p: string) => (await stat(p).catch(() => undefined))?.isDirectory() ?? false;

async function existingDir(dir: string, driver: string): Promise<string> {
  if (!(await isDir(dir)))
    throw new ShaleError('ERR_NOT_FOUND', `its ${driver} layer directory ${dir} is missing`);
  return dir;
}

function rootfsDriver(name: string, dirOf: (id: string) => string): GraphDriver {
  return {
    name,
    layer: async (id) => ({ kind: 'rootfs', dir: await existingDir(dirOf(id), name) }),
  };
}

/** overlay (1.x): image layers keep a full `root` (hard links into the parent's); else `upper`. */
function overlayDriver(root: string): GraphDriver {
  return {
    name: 'overlay',
    async layer(id) {
      const dir = path.join(root, 'overlay', id);
      if (await isDir(path.join(dir, 'root')))
        return { kind: 'rootfs', dir: path.join(dir, 'root') };
      const upper = await existingDir(path.join(dir, 'upper'), 'overlay');
      const lowerFile = path.join(dir, 'lower-id');
      const lower = await readFile(lowerFile, 'utf8').catch(() => {
        throw new ShaleError('ERR_NOT_FOUND', `its overlay layer has an upper but no ${lowerFile}`);
      });
      return {
        kind: 'diff',
        dir: upper,
        whiteouts: 'overlay',
        lower: assertLegacyId(lower.trim(), `overlay lower-id of ${id}`),
      };
    },
  };
}

const READABLE: Record<string, (root: string) => GraphDriver> = {
  vfs: (root) => rootfsDriver('vfs', (id) => path.join(root, 'vfs', 'dir', id)),
  btrfs: (root) => rootfsDriver('btrfs', (id) => path.join(root, 'btrfs', 'subvolumes', id)),
  aufs: (root) => ({
    name: 'aufs',
    layer: async (id) => ({
      kind: 'diff',
      dir: await existingDir(path.join(root, 'aufs', 'diff', id), 'aufs'),
      whiteouts: 'aufs',
    }),
  }),
  overlay: overlayDriver,
};

/** Docker 1.x's drivers, in its order of priority, with those it had besides the readable ones. */
const KNOWN = ['aufs', 'btrfs', 'zfs', 'devicemapper', 'overlay', 'vfs', 'overlay2'];

function refuse(root: string, driver: string): ShaleError {
  return new ShaleError(
    'ERR_UNSUPPORTED',
    `${root} uses the ${driver} storage driver, whose layers shale cannot read (it reads vfs, ` +
      `aufs, overlay and btrfs); run \`docker save -o images.tar IMAGE…\` with the old Docker ` +
      'daemon, then `shale load -i images.tar`',
  );
}

/** The drivers whose directory or `repositories-<driver>` tag store is in `root`. */
async function presentDrivers(root: string): Promise<string[]> {
  const names = new Set(await readdir(root));
  const present: string[] = [];
  for (const driver of KNOWN) {
    if (
      names.has(`repositories-${driver}`) ||
      (names.has(driver) && (await isDir(path.join(root, driver))))
    )
      present.push(driver);
  }
  return present;
}

/** The driver of the 1.x root `root`: `chosen`, or the one present (several: choose one). */
export async function graphDriver(root: string, chosen?: string): Promise<GraphDriver> {
  let name = chosen;
  if (name === undefined) {
    const present = await presentDrivers(root);
    if (present.length === 0) {
      throw new ShaleError(
        'ERR_NOT_FOUND',
        `${root} has no storage driver directory (vfs, aufs, overlay, btrfs, …) beside its graph`,
      );
    }
    if (present.length > 1) {
      throw new ShaleError(
        'ERR_INVALID_ARGUMENT',
        `${root} holds several storage drivers (${present.join(', ')}); choose the one the old ` +
          'Docker used with --driver',
      );
    }
    name = present[0]!;
  }
  const make = READABLE[name];
  if (make) return make(root);
  if (KNOWN.includes(name)) throw refuse(root, name);
  throw new ShaleError('ERR_INVALID_ARGUMENT', `unknown storage driver ${JSON.stringify(name)}`);
}
