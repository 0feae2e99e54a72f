/**
 * Reading a Docker 1.x graph root (spec §2.2): the legacy images under `graph/<id>/` (their
 * `json`, optional `checksum`, `v1Compatibility`, `parent` and tar-split `tar-data.json.gz`
 * files), where the storage driver keeps each layer's files (drivers.ts), the tag store
 * `repositories-<driver>`, and the marks a Docker 1.10 migration left (spec §4.5): the DiffID it
 * computed per image (`.migration-diffid`, beside `.migration-tardata`) and the image IDs it
 * gave (`.migration-v1-images.json`). Directory names that are not legacy IDs are ignored
 * (`_tmp`, stray files), as Docker's migration ignores them.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { asDigest, type Digest } from '../../core/digest.ts';
import { ShaleError } from '../../core/errors.ts';
import { isLegacyId } from '../../core/legacy-id.ts';
import { legacyParentOf } from '../migration.ts';
import { readFileIfExists } from '../../store/json-file.ts';
import { graphDriver, type GraphDriver, type LayerFiles } from './drivers.ts';

export interface GraphImage {
  id: string;
  parent?: string;
  json: Buffer;
  checksum?: string;
  v1Compatibility?: Buffer;
  /** Where the driver keeps the layer's files. */
  files: LayerFiles;
  /** Its tar-split metadata (`tar-data.json.gz`, else the `.migration-tardata` Docker 1.10 wrote). */
  tarData?: string;
  /** The DiffID a Docker 1.10 migration computed for it (`.migration-diffid`). */
  dockerDiffId?: Digest;
}

const TAR_DATA_FILES = ['tar-data.json.gz', '.migration-tardata'];

function badMark(file: string, err: unknown): ShaleError {
  return new ShaleError('ERR_BAD_RECORD', `${file}: ${(err as Error).message}`, { cause: err });
}

export class LegacyGraph {
  private constructor(
    readonly root: string,
    readonly driver: GraphDriver,
  ) {}

  /** The graph at `root` with its storage driver (`driver`, or the one present). */
  static async open(root: string, driver?: string): Promise<LegacyGraph> {
    const graphDir = path.join(root, 'graph');
    const st = await stat(graphDir).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT' && err.code !== 'ENOTDIR') throw err; // unreadable: said as such
      return undefined;
    });
    if (!st?.isDirectory()) {
      throw new ShaleError(
        'ERR_NOT_FOUND',
        `${root} is not a Docker 1.x root: it has no graph directory`,
      );
    }
    return new LegacyGraph(root, await graphDriver(root, driver));
  }

  private get graphDir(): string {
    return path.join(this.root, 'graph');
  }

  /** The legacy IDs of the graph, sorted. */
  async ids(): Promise<string[]> {
    const ids: string[] = [];
    for (const name of (await readdir(this.graphDir)).sort()) {
      if (isLegacyId(name) && (await stat(path.join(this.graphDir, name))).isDirectory())
        ids.push(name);
    }
    return ids;
  }

  /** One legacy image, its parent taken from the JSON or the `parent` file (spec §4.5). */
  async image(id: string): Promise<GraphImage> {
    const dir = path.join(this.graphDir, id);
    const text = async (name: string) =>
      (await readFileIfExists(path.join(dir, name)))?.toString('utf8').trim();
    const json = await readFile(path.join(dir, 'json'));
    const parent = legacyParentOf(json, await text('parent'));
    const checksum = await text('checksum');
    const v1Compatibility = await readFileIfExists(path.join(dir, 'v1Compatibility'));
    const diffIdText = await text('.migration-diffid');
    let dockerDiffId: Digest | undefined;
    try {
      dockerDiffId = diffIdText ? asDigest(diffIdText) : undefined;
    } catch (err) {
      throw badMark(path.join(dir, '.migration-diffid'), err);
    }
    let tarData: string | undefined;
    for (const name of TAR_DATA_FILES) {
      const file = path.join(dir, name);
      if (tarData === undefined && (await stat(file).catch(() => undefined))?.isFile())
        tarData = file;
    }
    return {
      id,
      json,
      files: await this.driver.layer(id),
      ...(parent !== undefined && { parent }),
      ...(checksum && { checksum }),
      ...(v1Compatibility && { v1Compatibility }),
      ...(tarData && { tarData }),
      ...(dockerDiffId && { dockerDiffId }),
    };
  }

  /** The legacy tag store, when there is one. */
  repositories(): Promise<Buffer | undefined> {
    return readFileIfExists(path.join(this.root, `repositories-${this.driver.name}`));
  }

  /** The image IDs a Docker 1.10 migration gave (`.migration-v1-images.json`), by legacy ID. */
  async dockerImageIds(): Promise<Map<string, Digest>> {
    const file = path.join(this.root, '.migration-v1-images.json');
    const bytes = await readFileIfExists(file);
    const ids = new Map<string, Digest>();
    if (!bytes) return ids;
    try {
      const mapping = JSON.parse(bytes.toString('utf8')) as unknown;
      if (typeof mapping !== 'object' || mapping === null || Array.isArray(mapping))
        throw new Error('not a JSON object');
      for (const [legacyId, imageId] of Object.entries(mapping))
        if (isLegacyId(legacyId)) ids.set(legacyId, asDigest(String(imageId)));
    } catch (err) {
      throw badMark(file, err);
    }
    return ids;
  }
}
