/**
 * References against images and the OCI layout: each reference reaches an image in the store
 * through a manifest (or index) that is stored, and `index.json` mirrors exactly the references
 * (one entry per reference, naming the image manifest it reaches) at the generation
 * `references.json` is at.
 */
import path from 'node:path';
import type { Digest } from '../../core/digest.ts';
import { Annotations, isImageManifest } from '../../core/media-types.ts';
import type { References } from '../refs/index.ts';
import { readJsonFile } from '../json-file.ts';
import { GENERATION_ANNOTATION } from '../refs/index-mirror.ts';
import type { Store } from '../store.ts';
import { reasonOf, type ProblemList } from './problems.ts';

interface IndexEntry {
  digest?: unknown;
  annotations?: Record<string, unknown>;
}

interface OciIndex {
  manifests?: unknown;
  annotations?: Record<string, unknown>;
}

/** What `index.json` says: manifest digest per reference name, and the generation it mirrors. */
async function readIndex(store: Store, problems: ProblemList) {
  let index: OciIndex;
  try {
    index = (await readJsonFile(store.layout.indexFile)) as OciIndex;
    if (typeof index !== 'object' || index === null || !Array.isArray(index.manifests))
      throw new Error('not an image index (no manifests list)');
  } catch (err) {
    problems.add('bad-record', 'index.json', reasonOf(err));
    return undefined;
  }
  const mirrored = new Map<string, unknown>();
  for (const entry of index.manifests as IndexEntry[]) {
    const name = entry.annotations?.[Annotations.refName];
    if (typeof name !== 'string') {
      problems.add(
        'index-mismatch',
        'index.json',
        `an entry (${String(entry.digest)}) has no reference name`,
      );
    } else if (mirrored.has(name)) {
      problems.add('index-mismatch', name, 'listed twice in index.json');
    } else mirrored.set(name, entry.digest);
  }
  return { mirrored, generation: Number(index.annotations?.[GENERATION_ANNOTATION] ?? 0) };
}

async function referencesGeneration(store: Store): Promise<number> {
  const json = (await readJsonFile(path.join(store.layout.metaDir, 'references.json'))) as
    { generation?: unknown } | undefined;
  return Number(json?.generation ?? 0);
}

export async function checkReferences(store: Store, problems: ProblemList): Promise<void> {
  let references: References;
  try {
    references = await store.references.targets();
  } catch (err) {
    problems.add('bad-record', 'references.json', reasonOf(err));
    return;
  }
  const manifests = new Map<string, Digest | undefined>();
  for (const [ref, target] of Object.entries(references)) {
    const { image, descriptor, manifest } = target;
    const record = await store.images.get(image).catch(() => undefined);
    if (!record) problems.add('missing-image', ref, `names image ${image}, not in the store`);
    for (const named of [descriptor, manifest])
      if (named && !(await store.content.has(named.digest)))
        problems.add('missing-blob', ref, `names manifest ${named.digest}, not in the store`);
    // The manifest index.json names for it: the image manifest it reaches, else the image's own.
    const reached = manifest ?? descriptor;
    manifests.set(
      ref,
      reached && isImageManifest(reached.mediaType) ? reached.digest : record?.manifest?.digest,
    );
  }
  const index = await readIndex(store, problems);
  if (!index) return;
  const generation = await referencesGeneration(store);
  if (index.generation !== generation) {
    problems.add(
      'index-mismatch',
      'index.json',
      `mirrors generation ${index.generation} of the references, which are at ${generation}`,
    );
  }
  for (const [ref, manifest] of manifests) {
    if (!index.mirrored.has(ref)) problems.add('index-mismatch', ref, 'missing from index.json');
    else if (manifest !== undefined && index.mirrored.get(ref) !== manifest)
      problems.add(
        'index-mismatch',
        ref,
        `index.json names ${String(index.mirrored.get(ref))}, the image's manifest is ${manifest}`,
      );
  }
  for (const ref of index.mirrored.keys())
    if (!manifests.has(ref))
      problems.add('index-mismatch', ref, 'in index.json but not a reference');
}
