/**
 * Images against their parts: the record parses and names itself; the config blob parses and its
 * DiffIDs give the record's top ChainID and the registered chain; the parent exists; the manifest
 * (schema 2 / OCI) names the config and one stored blob per DiffID, with the sizes stored. Legacy
 * IDs name existing images and layers.
 */
import { parseImageManifest } from '../../core/manifest.ts';
import { type Digest } from '../../core/digest.ts';
import { chainIdOf } from '../../core/ids.ts';
import { isImageManifest } from '../../core/media-types.ts';
import type { ImageRecord } from '../images/index.ts';
import type { Descriptor } from '../images/manifest.ts';
import type { Store } from '../store.ts';
import type { BlobReading } from './blobs.ts';
import { reasonOf, type ProblemList } from './problems.ts';

interface Found {
  problems: ProblemList;
  readings: ReadonlyMap<Digest, BlobReading>;
}

/** Whether the blob check found `digest`'s bytes sound (a blob stored since is read as it is). */
const isSound = (readings: ReadonlyMap<Digest, BlobReading>, digest: Digest): boolean =>
  readings.get(digest)?.sound ?? true;

/** A stored blob of the size `descriptor` says; false (reported) when not. */
async function checkDescriptor(
  store: Store,
  owner: string,
  descriptor: Descriptor,
  problems: ProblemList,
): Promise<boolean> {
  const size = await store.content.size(descriptor.digest);
  if (size === undefined) {
    problems.add('missing-blob', descriptor.digest, `named by ${owner}, not stored`);
    return false;
  }
  if (size !== descriptor.size) {
    problems.add(
      'mismatch',
      descriptor.digest,
      `is ${size} bytes, ${owner} says ${descriptor.size}`,
    );
    return false;
  }
  return true;
}

async function checkManifest(
  store: Store,
  record: ImageRecord,
  diffIds: readonly Digest[],
  { problems, readings }: Found,
): Promise<void> {
  const descriptor = record.manifest;
  if (!descriptor || !(await checkDescriptor(store, `image ${record.id}`, descriptor, problems)))
    return;
  if (!isImageManifest(descriptor.mediaType)) return; // schema 1 names no config to check
  if (!isSound(readings, descriptor.digest)) return; // reported by the blob check
  let manifest;
  try {
    manifest = parseImageManifest(await store.content.read(descriptor.digest));
  } catch (err) {
    problems.add('bad-record', descriptor.digest, `manifest of ${record.id}: ${reasonOf(err)}`);
    return;
  }
  const owner = `manifest ${descriptor.digest}`;
  if (manifest.config.digest !== record.id)
    problems.add(
      'mismatch',
      descriptor.digest,
      `names config ${manifest.config.digest}, not ${record.id}`,
    );
  else await checkDescriptor(store, owner, manifest.config, problems);
  if (manifest.layers.length !== diffIds.length) {
    problems.add(
      'mismatch',
      descriptor.digest,
      `has ${manifest.layers.length} layers, the config ${diffIds.length}`,
    );
    return;
  }
  for (const [i, layer] of manifest.layers.entries()) {
    if (!(await checkDescriptor(store, owner, layer, problems))) continue;
    const info = await store.layers.blobInfo(layer.digest).catch(() => undefined);
    if (info && info.diffId !== diffIds[i])
      problems.add(
        'mismatch',
        layer.digest,
        `layer ${i + 1} of ${owner} holds ${info.diffId}, the config says ${diffIds[i]}`,
      );
  }
}

async function checkImage(store: Store, id: Digest, found: Found): Promise<void> {
  const { problems } = found;
  let record: ImageRecord | undefined;
  try {
    record = await store.images.get(id);
  } catch (err) {
    problems.add('bad-record', id, `image record: ${reasonOf(err)}`);
    return;
  }
  if (!record) return; // removed meanwhile
  if (record.id !== id) {
    problems.add('mismatch', id, `image record names image ${record.id}`);
    return;
  }
  if (
    record.parent !== undefined &&
    !(await store.images.get(record.parent).catch(() => undefined))
  )
    problems.add('missing-image', id, `parent image ${record.parent} is missing`);
  if (!(await store.content.has(id))) {
    problems.add('missing-blob', id, 'the image config is not stored');
    return;
  }
  if (!isSound(found.readings, id)) return; // reported by the blob check
  let diffIds: Digest[];
  try {
    diffIds = (await store.images.config(id)).config.rootfs.diff_ids;
  } catch (err) {
    problems.add('bad-record', id, `image config: ${reasonOf(err)}`);
    return;
  }
  const top = chainIdOf(diffIds);
  if (top !== record.topLayer)
    problems.add(
      'mismatch',
      id,
      `config's DiffIDs give top layer ${top ?? 'none'}, record says ${record.topLayer ?? 'none'}`,
    );
  else if (top !== undefined) {
    const chain = await store.layers.chain(top).catch(() => undefined);
    if (!chain)
      problems.add('missing-layer', id, `its layer chain up to ${top} is not all registered`);
  }
  await checkManifest(store, record, diffIds, found);
}

async function checkLegacy(store: Store, problems: ProblemList): Promise<void> {
  for (const id of await store.legacy.ids()) {
    const object = `legacy ID ${id}`;
    let entry;
    try {
      entry = await store.legacy.get(id);
    } catch (err) {
      problems.add('bad-record', object, `legacy entry: ${reasonOf(err)}`);
      continue;
    }
    if (!entry) continue;
    if (!(await store.images.get(entry.image).catch(() => undefined)))
      problems.add('missing-image', object, `names image ${entry.image}, not in the store`);
    if (!(await store.layers.get(entry.layer).catch(() => undefined)))
      problems.add('missing-layer', object, `names layer ${entry.layer}, not registered`);
  }
}

export async function checkImages(
  store: Store,
  readings: ReadonlyMap<Digest, BlobReading>,
  problems: ProblemList,
): Promise<void> {
  for (const id of await store.images.ids()) await checkImage(store, id, { problems, readings });
  await checkLegacy(store, problems);
}
