/**
 * Which images a save writes and under which tags: each argument names an image (reference, ID
 * or ID prefix); a tag reference also names the tag it is saved under, an ID names none (as
 * `docker save`). Arguments naming the same image become one item with all their tags.
 */
import type { Digest } from '../../core/digest.ts';
import { ShaleError } from '../../core/errors.ts';
import { parseAnyReference, parseDockerRef, type NamedReference } from '../../core/reference.ts';
import { resolveImage, type Store } from '../../store/index.ts';

export interface SaveItem {
  id: Digest;
  /** Tag references, full form (`docker.io/library/alpine:latest`). */
  tags: NamedReference[];
}

async function tagNamed(
  store: Store,
  name: string,
  id: Digest,
): Promise<NamedReference | undefined> {
  if (/^(sha256:)?[a-f0-9]{64}$/.test(name)) return undefined;
  let ref: NamedReference;
  try {
    const any = parseAnyReference(name);
    if (any.kind !== 'named') return undefined;
    ref = parseDockerRef(name);
  } catch {
    return undefined; // an ID prefix
  }
  if (ref.tag === undefined || ref.digest !== undefined) return undefined;
  return (await store.references.resolve(ref)) === id ? ref : undefined;
}

export async function selectImages(store: Store, names: readonly string[]): Promise<SaveItem[]> {
  if (names.length === 0)
    throw new ShaleError('ERR_INVALID_ARGUMENT', 'name at least one image to save');
  const items: SaveItem[] = [];
  for (const name of names) {
    const id = await resolveImage(store, name);
    let item = items.find((i) => i.id === id);
    if (!item) items.push((item = { id, tags: [] }));
    const tag = await tagNamed(store, name, id);
    if (tag && !item.tags.some((t) => t.toString() === tag.toString())) item.tags.push(tag);
  }
  return items;
}
