/**
 * Finding a local image by what a user types: a reference, an ID, a legacy (v1) ID or a unique
 * prefix of either, in docker's order.
 */
import type { Digest } from '../core/digest.ts';
import { ShaleError } from '../core/errors.ts';
import { parseAnyReference, parseDockerRef } from '../core/reference.ts';
import type { Store } from './store.ts';

/**
 * The image `text` names, tried in docker's order: a full ID, a full legacy (v1) ID, a reference
 * (`alpine` = `docker.io/library/alpine:latest`), a unique ID prefix, a unique legacy-ID prefix.
 */
export async function resolveImage(store: Store, text: string): Promise<Digest> {
  if (/^(sha256:)?[a-f0-9]{64}$/.test(text)) {
    const id = (await store.images.resolveId(text)) ?? (await store.legacy.resolve(text));
    if (id) return id;
  }
  const byReference = await referencedImage(store, text);
  if (byReference) return byReference;
  const byPrefix = (await store.images.resolveId(text)) ?? (await store.legacy.resolve(text));
  if (byPrefix) return byPrefix;
  throw new ShaleError('ERR_NOT_FOUND', `no such image: ${text}`);
}

async function referencedImage(store: Store, text: string): Promise<Digest | undefined> {
  try {
    if (parseAnyReference(text).kind !== 'named') return undefined;
    return await store.references.resolve(parseDockerRef(text));
  } catch {
    return undefined; // not a reference
  }
}
