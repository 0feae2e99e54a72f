/**
 * Reading a Docker 1.x graph root (spec §2.2) with the vfs driver: the legacy images under
 * `graph/<id>/` (their `json`, optional `checksum`, `v1Compatibility` and `parent` files), each
 * image's full rootfs at `vfs/dir/<id>/`, and the tag store `repositories-vfs`. Directory names
 * that are not legacy IDs are ignored (`_tmp`, stray files), as Docker's migration ignores them.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { ShaleError } from '../../core/errors.ts';
import { isLegacyId } from '../../core/legacy-id.ts';
import { legacyParentOf } from '../migration.ts';
import { readFileIfExists } from '../../store/json-file.ts';

export interface GraphImage {
  id: string;
  parent?: string;
  json: Buffer;
  checksum?: string;
  v1Compatibility?: Buffer;
  /** The image's whole root filesystem (vfs driver). */
  rootfs: string;
}

export class LegacyGraph {
  constructor(readonly root: string) {}

  private get graphDir(): string {
    return path.join(this.root, 'graph');
  }

  /** The legacy IDs of the graph, sorted; ShaleError when `root` has no graph. */
  async ids(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.graphDir);
    } catch (err) {
      const { code } = err as NodeJS.ErrnoException;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err; // unreadable: said as such
      throw new ShaleError(
        'ERR_NOT_FOUND',
        `${this.root} is not a Docker 1.x root: it has no graph directory`,
      );
    }
    const ids: string[] = [];
    for (const name of names.sort()) {
      if (isLegacyId(name) && (await stat(path.join(this.graphDir, name))).isDirectory())
        ids.push(name);
    }
    return ids;
  }

  /** One legacy image, its parent taken from the JSON or the `parent` file (spec §4.5). */
  async image(id: string): Promise<GraphImage> {
    const dir = path.join(this.graphDir, id);
    const json = await readFile(path.join(dir, 'json'));
    const parentFile = (await readFileIfExists(path.join(dir, 'parent')))?.toString('utf8');
    const parent = legacyParentOf(json, parentFile);
    const checksum = (await readFileIfExists(path.join(dir, 'checksum')))?.toString('utf8').trim();
    const v1Compatibility = await readFileIfExists(path.join(dir, 'v1Compatibility'));
    return {
      id,
      json,
      rootfs: path.join(this.root, 'vfs', 'dir', id),
      ...(parent !== undefined && { parent }),
      ...(checksum && { checksum }),
      ...(v1Compatibility && { v1Compatibility }),
    };
  }

  /** The legacy tag store, when there is one. */
  repositories(): Promise<Buffer | undefined> {
    return readFileIfExists(path.join(this.root, 'repositories-vfs'));
  }
}
