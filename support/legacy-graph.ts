/**
 * Docker 1.x graph roots built from layer tars, laid out as each storage driver kept them (spec
 * §2.2, §6, §8), for the migration tests and the `migrate` benchmark: `graph/<id>/` with the v1
 * `json`, `layersize`, the optional `checksum` and `v1Compatibility` files and (unless asked not
 * to, as in 1.6/1.7 graphs) `tar-data.json.gz` made by our tar-split packer; vfs: each layer's
 * whole rootfs (the parent's copied, the layer applied); aufs: the layer tar extracted as it is
 * into `diff/<id>` (its `.wh.` files are aufs's whiteouts) plus aufs's own metadata, and
 * `layers/<id>`; overlay (1.x): a full `root` per layer (hard links into the parent's, as its
 * ApplyDiff made them) except the top layer, an `upper` over its parent's root (`lower-id`) with
 * whiteouts as 0/0 character devices and opaque directories marked by the
 * `trusted.overlay.opaque` xattr; devicemapper: only its directory (its layers are devices).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { applyLayer } from '../src/archive/apply/index.ts';
import { disassembleTar, writeTarSplit } from '../src/archive/tar-split/index.ts';

export type Driver = 'vfs' | 'aufs' | 'overlay' | 'devicemapper';

export interface LegacyLayer {
  id: string;
  /** The v1 image JSON as the graph stores it. */
  json: string | Uint8Array;
  /** The uncompressed layer tar. */
  tar: string;
  /** The `checksum` file (1.6+: the registry blob digest, after a v2 push or pull). */
  checksum?: string;
  /** The `v1Compatibility` file (1.8.3/1.9: the history entry a schema1 pull got). */
  v1Compatibility?: string;
}

export interface GraphOptions {
  /** Write `tar-data.json.gz` (default true; false: a 1.6/1.7 graph). */
  tarData?: boolean;
  /** `{repo: {tag: legacy id}}` for `repositories-<driver>`. */
  tags?: Record<string, Record<string, string>>;
}

export const sha256Hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/**
 * The tars (base first) as a chain of v1 images a Docker 1.9 build made: IDs derived from
 * `name`, each JSON naming its parent, an `ADD` command and the version.
 */
export function chainOfTars(tars: readonly string[], name: string): LegacyLayer[] {
  const chain: LegacyLayer[] = [];
  for (const [i, tar] of tars.entries()) {
    const id = sha256Hex(Buffer.from(`${name} legacy image ${i}`));
    const parent = chain.at(-1)?.id;
    const json = JSON.stringify({
      id,
      ...(parent && { parent }),
      created: `2016-01-${String(i + 1).padStart(2, '0')}T00:00:00Z`,
      container_config: { Cmd: ['/bin/sh', '-c', `#(nop) ADD layer ${i}`] },
      docker_version: '1.9.1',
      architecture: 'amd64',
      os: 'linux',
    });
    chain.push({ id, json, tar });
  }
  return chain;
}

function untar(tar: string, dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  execFileSync('tar', [
    '-C',
    dir,
    '--numeric-owner',
    '--xattrs',
    '--xattrs-include=*',
    '-xpf',
    tar,
  ]);
}

async function apply(tar: string, dir: string): Promise<void> {
  await applyLayer(dir, fs.createReadStream(tar));
}

/** aufs's `.wh.` files of an extracted upper turned into overlay whiteouts and opaque marks. */
function toOverlayUpper(dir: string): void {
  for (const name of fs.readdirSync(dir)) {
    const file = path.join(dir, name);
    if (name === '.wh..wh..opq') {
      fs.rmSync(file);
      execFileSync('setfattr', ['-n', 'trusted.overlay.opaque', '-v', 'y', dir]);
    } else if (name.startsWith('.wh.')) {
      fs.rmSync(file);
      execFileSync('mknod', [path.join(dir, name.slice(4)), 'c', '0', '0']);
    } else if (fs.lstatSync(file).isDirectory()) {
      toOverlayUpper(file);
    }
  }
}

async function layerFiles(root: string, driver: Driver, chain: LegacyLayer[], i: number) {
  const { id, tar } = chain[i]!;
  const parent = chain[i - 1]?.id;
  switch (driver) {
    case 'vfs': {
      const dir = path.join(root, 'vfs', 'dir', id);
      if (parent) execFileSync('cp', ['-a', path.join(root, 'vfs', 'dir', parent), dir]);
      else fs.mkdirSync(dir, { recursive: true });
      return apply(tar, dir);
    }
    case 'aufs': {
      const dir = path.join(root, 'aufs', 'diff', id);
      untar(tar, dir);
      fs.writeFileSync(path.join(dir, '.wh..wh.aufs'), '');
      fs.mkdirSync(path.join(dir, '.wh..wh.orph'));
      fs.mkdirSync(path.join(dir, '.wh..wh.plnk'));
      const ancestors = chain
        .slice(0, i)
        .map((l) => l.id)
        .reverse();
      fs.mkdirSync(path.join(root, 'aufs', 'layers'), { recursive: true });
      fs.writeFileSync(
        path.join(root, 'aufs', 'layers', id),
        ancestors.map((a) => `${a}\n`).join(''),
      );
      return;
    }
    case 'overlay': {
      const dir = path.join(root, 'overlay', id);
      if (parent && i === chain.length - 1) {
        untar(tar, path.join(dir, 'upper'));
        toOverlayUpper(path.join(dir, 'upper'));
        fs.mkdirSync(path.join(dir, 'work'));
        fs.mkdirSync(path.join(dir, 'merged'));
        fs.writeFileSync(path.join(dir, 'lower-id'), parent);
        return;
      }
      fs.mkdirSync(dir, { recursive: true });
      if (parent)
        execFileSync('cp', [
          '-al',
          path.join(root, 'overlay', parent, 'root'),
          path.join(dir, 'root'),
        ]);
      else fs.mkdirSync(path.join(dir, 'root'));
      return apply(tar, path.join(dir, 'root'));
    }
    case 'devicemapper':
      fs.mkdirSync(path.join(root, 'devicemapper', 'mnt', id), { recursive: true });
      return;
  }
}

/** Build a graph of the chain `layers` (parents first) under `root` for `driver`. */
export async function buildLegacyGraph(
  root: string,
  driver: Driver,
  layers: LegacyLayer[],
  options: GraphOptions = {},
): Promise<string> {
  for (const [i, layer] of layers.entries()) {
    const dir = path.join(root, 'graph', layer.id);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(dir, 'json'), layer.json);
    fs.writeFileSync(path.join(dir, 'layersize'), String(fs.statSync(layer.tar).size));
    if (layer.checksum !== undefined) fs.writeFileSync(path.join(dir, 'checksum'), layer.checksum);
    if (layer.v1Compatibility !== undefined)
      fs.writeFileSync(path.join(dir, 'v1Compatibility'), layer.v1Compatibility);
    if (options.tarData ?? true) {
      const metadata = writeTarSplit(disassembleTar(fs.createReadStream(layer.tar)));
      await pipeline(metadata, fs.createWriteStream(path.join(dir, 'tar-data.json.gz')));
    }
    await layerFiles(root, driver, layers, i);
  }
  fs.mkdirSync(path.join(root, 'graph', '_tmp'), { recursive: true });
  const repositories = { Repositories: options.tags ?? {} };
  fs.writeFileSync(path.join(root, `repositories-${driver}`), JSON.stringify(repositories));
  return root;
}
