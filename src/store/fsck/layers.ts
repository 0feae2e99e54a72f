/**
 * Layer metadata against itself and the blobs: layer records (ChainID from parent and DiffID,
 * depth, a stored blob), blob infos (a stored blob, its DiffID marker, and — when the blob check
 * decompressed it — the DiffID, compression and size its bytes give), and the DiffID markers.
 */
import path from 'node:path';
import { isDigest, type Digest } from '../../core/digest.ts';
import { chainIdStep } from '../../core/ids.ts';
import type { BlobInfo, LayerRecord } from '../layers/index.ts';
import type { Store } from '../store.ts';
import type { BlobReading } from './blobs.ts';
import { sortedNames } from './files.ts';
import { reasonOf, type ProblemList } from './problems.ts';

/** The digests named by `<hex><suffix>` entries of `<dir>/sha256`. */
async function namedDigests(dir: string, suffix: string): Promise<Digest[]> {
  return (await sortedNames(path.join(dir, 'sha256')))
    .filter((n) => n.endsWith(suffix))
    .map((n) => `sha256:${n.slice(0, n.length - suffix.length)}`)
    .filter(isDigest);
}

async function checkLayer(store: Store, layer: LayerRecord, problems: ProblemList): Promise<void> {
  const { chainId, diffId, parent } = layer;
  const expected = chainIdStep(parent, diffId);
  if (expected !== chainId)
    problems.add('mismatch', chainId, `layer record's parent and DiffID give ChainID ${expected}`);
  if (parent !== undefined) {
    const parentLayer = await store.layers.get(parent).catch(() => undefined);
    if (!parentLayer) problems.add('missing-layer', chainId, `parent layer ${parent} is missing`);
    else if (parentLayer.depth + 1 !== layer.depth)
      problems.add(
        'mismatch',
        chainId,
        `depth ${layer.depth} under a parent of depth ${parentLayer.depth}`,
      );
  } else if (layer.depth !== 1) {
    problems.add('mismatch', chainId, `base layer has depth ${layer.depth}`);
  }
  const blobs = await store.layers.blobsOf(diffId);
  const stored = await Promise.all(blobs.map((b) => store.content.has(b)));
  if (!stored.includes(true))
    problems.add('missing-blob', chainId, `no stored blob holds its DiffID ${diffId}`);
}

async function checkLayerRecords(store: Store, problems: ProblemList): Promise<void> {
  for (const chainId of await namedDigests(path.join(store.layout.metaDir, 'layers'), '.json')) {
    let layer: LayerRecord | undefined;
    try {
      layer = await store.layers.get(chainId);
    } catch (err) {
      problems.add('bad-record', chainId, `layer record: ${reasonOf(err)}`);
      continue;
    }
    if (!layer) continue; // removed meanwhile
    if (layer.chainId !== chainId)
      problems.add('mismatch', chainId, `layer record names ChainID ${layer.chainId}`);
    else await checkLayer(store, layer, problems);
  }
}

/** What the blob check's decompression of `blob` found, against its blob info. */
function checkDecompressed(
  blob: Digest,
  info: BlobInfo,
  decompressed: NonNullable<BlobReading['decompressed']>,
  problems: ProblemList,
): void {
  if ('error' in decompressed) {
    problems.add('corrupt-blob', blob, `cannot be decompressed: ${decompressed.error}`);
  } else if (decompressed.diffId !== info.diffId) {
    const said = info.unverified ? 'the image config it came with claims' : 'recorded';
    problems.add(
      'mismatch',
      blob,
      `uncompresses to ${decompressed.diffId}, ${said} ${info.diffId}`,
    );
  } else if (decompressed.compression !== info.compression) {
    problems.add(
      'mismatch',
      blob,
      `is ${decompressed.compression}, recorded as ${info.compression}`,
    );
  } else if (!info.unverified && decompressed.size !== info.uncompressedSize) {
    problems.add(
      'mismatch',
      blob,
      `uncompresses to ${decompressed.size} bytes, recorded as ${info.uncompressedSize}`,
    );
  }
}

async function checkBlobInfos(
  store: Store,
  readings: ReadonlyMap<Digest, BlobReading>,
  problems: ProblemList,
): Promise<void> {
  for (const blob of await namedDigests(path.join(store.layout.metaDir, 'blobinfo'), '.json')) {
    let info: BlobInfo | undefined;
    try {
      info = await store.layers.blobInfo(blob);
    } catch (err) {
      problems.add('bad-record', blob, `blob info: ${reasonOf(err)}`);
      continue;
    }
    if (!info) continue;
    if (!(await store.content.has(blob))) {
      problems.add('missing-blob', blob, `blob info (DiffID ${info.diffId}) for a blob not stored`);
      continue;
    }
    if (!(await store.layers.blobsOf(info.diffId)).includes(blob))
      problems.add('mismatch', blob, `not listed among the blobs of its DiffID ${info.diffId}`);
    // A blob whose bytes do not match its name is reported already; its DiffID says nothing.
    const reading = readings.get(blob);
    if (reading?.sound && reading.decompressed)
      checkDecompressed(blob, info, reading.decompressed, problems);
  }
}

async function checkDiffIdMarkers(store: Store, problems: ProblemList): Promise<void> {
  const dir = path.join(store.layout.metaDir, 'diffids');
  const diffIds = (await sortedNames(path.join(dir, 'sha256'))).map((h) => `sha256:${h}`);
  for (const diffId of diffIds.filter(isDigest)) {
    for (const blob of await store.layers.blobsOf(diffId)) {
      const info = await store.layers.blobInfo(blob).catch(() => undefined);
      if (info?.diffId !== diffId)
        problems.add('mismatch', blob, `listed for DiffID ${diffId}, its blob info disagrees`);
    }
  }
}

export async function checkLayers(
  store: Store,
  readings: ReadonlyMap<Digest, BlobReading>,
  problems: ProblemList,
): Promise<void> {
  await checkLayerRecords(store, problems);
  await checkBlobInfos(store, readings, problems);
  await checkDiffIdMarkers(store, problems);
}
