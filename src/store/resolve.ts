/**
 * Finding a local image by what a user types: a reference, an ID, a legacy (v1) ID or a unique
 * prefix of either, in docker's order; for a reference, also the manifest it names.
 */
import type { Digest } from '../core/digest.ts';
import { ShaleError } from '../core/errors.ts';
import { parseAnyReference, parseDockerRef } from '../core/reference.ts';
import type { NamedManifest, ReferenceTarget } from './refs/index.ts';
import type { Store } from './store.ts';

/**
 * What `text` names, tried in docker's order: a full ID, a full legacy (v1) ID, a reference
 * (`alpine` = `docker.io/library/alpine:latest`: then the manifest it names too), a unique ID
 * prefix, a unique legacy-ID prefix.
 */
export async function resolveTarget(store: Store, text: string): Promise<ReferenceTarget> {
  if (/^(sha256:)?[a-f0-9]{64}$/.test(text)) {
    const image = (await store.images.resolveId(text)) ?? (await store.legacy.resolve(text));
    if (image) return { image };
  }
  const byReference = await referenceTarget(store, text);
  if (byReference) return byReference;
  const image = (await store.images.resolveId(text)) ?? (await store.legacy.resolve(text));
  if (image) return { image };
  throw new ShaleError('ERR_NOT_FOUND', `no such image: ${text}`);
}

/** The image `text` names (see resolveTarget). */
export async function resolveImage(store: Store, text: string): Promise<Digest> {
  return (await resolveTarget(store, text)).image;
}

/** What a reference resolved by resolveTarget names, to give another reference (`tag`). */
export function namedManifestOf(target: ReferenceTarget): NamedManifest | undefined {
  const { descriptor, manifest } = target;
  return descriptor && { descriptor, ...(manifest && { manifest }) };
}

async function referenceTarget(store: Store, text: string): Promise<ReferenceTarget | undefined> {
  try {
    if (parseAnyReference(text).kind !== 'named') return undefined;
    return await store.references.target(parseDockerRef(text));
  } catch {
    return undefined; // not a reference
  }
}
