/**
 * Many small distinct images as one docker-archive (the `serve-images` benchmark's input): image i
 * has one layer, a tar holding the file `many/image-<i>` whose content names it, a config whose
 * rootfs.diff_ids lists that layer, and `tagsEach` tags. Layers and configs are stored as
 * `blobs/sha256/<hex>` (Docker 25+'s paths), manifest.json last (loaders spool the archive). The
 * archive is written with shale's own tar writer, once; an existing file is reused.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, renameSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { TarWriter } from '../../src/archive/tar/index.ts';
import { tarBytes } from '../../support/tar-bytes.ts';

/** Every entry's mtime, and image i's creation time is this + i seconds. */
const EPOCH = 1_700_000_000;
const ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', s390x: 's390x' };

const pad = (i: number) => String(i).padStart(4, '0');
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** Image i's tags: `bench/many/img-NNNN:latest`, `:v1`, `:v1.0`, … (`tagsEach` of them). */
export function manyImageTags(i: number, tagsEach: number): string[] {
  const names = ['latest', 'v1', 'v1.0', 'v1.0.0'];
  if (tagsEach > names.length) throw new Error(`at most ${names.length} tags an image`);
  return names.slice(0, tagsEach).map((tag) => `bench/many/img-${pad(i)}:${tag}`);
}

/** Every tag of the archive, image by image. */
export const allManyImageTags = (count: number, tagsEach: number): string[] =>
  Array.from({ length: count }, (_, i) => manyImageTags(i, tagsEach)).flat();

/** Image i: its layer tar and its config (both small). */
async function image(i: number, count: number): Promise<{ layer: Buffer; config: Buffer }> {
  const content = Buffer.from(`bench many-images: image ${i} of ${count}\n`);
  const layer = await tarBytes([
    { header: { name: `many/image-${pad(i)}`, mode: 0o644, mtime: EPOCH }, body: content },
  ]);
  const created = new Date((EPOCH + i) * 1000).toISOString();
  const config = Buffer.from(
    JSON.stringify({
      architecture: ARCH[process.arch] ?? process.arch,
      os: 'linux',
      created,
      config: {},
      rootfs: { type: 'layers', diff_ids: [`sha256:${sha256(layer)}`] },
      history: [{ created, created_by: `bench many-images ${i}` }],
    }),
  );
  return { layer, config };
}

/** Writes `file` (unless it exists): `count` images with `tagsEach` tags each. */
export async function writeManyImages(file: string, count: number, tagsEach: number) {
  if (existsSync(file)) return;
  const partial = `${file}.partial`;
  const tar = new TarWriter();
  const add = (name: string, body: Buffer) =>
    tar.add({ name, size: body.length, mode: 0o644, mtime: EPOCH }, body);
  const produce = async () => {
    const manifest = [];
    for (let i = 0; i < count; i++) {
      const { layer, config } = await image(i, count);
      const layerPath = `blobs/sha256/${sha256(layer)}`;
      const configPath = `blobs/sha256/${sha256(config)}`;
      await add(layerPath, layer);
      await add(configPath, config);
      manifest.push({
        Config: configPath,
        RepoTags: manyImageTags(i, tagsEach),
        Layers: [layerPath],
      });
    }
    await add('manifest.json', Buffer.from(`${JSON.stringify(manifest)}\n`));
    await tar.finish();
  };
  await Promise.all([produce(), pipeline(tar.stream, createWriteStream(partial))]);
  renameSync(partial, file);
}
