/**
 * The references file, `shale/references.json`: what each reference names. Format 2 keeps, per
 * reference, the descriptor of the manifest or index it was pulled, loaded, pushed or tagged with
 * (its bytes are a blob), the image manifest chosen from an index, and the image. Format 1, written
 * by stores before references named manifests, mapped each reference to an image ID only; it is
 * read as format 2 (`fromFormat1`) and replaced by format 2 at the next change, under the lock.
 */
import * as z from '../../core/zod.ts';
import { asDigest, type Digest } from '../../core/digest.ts';
import { digestSchema } from '../../core/digest-schema.ts';
import { MediaTypes, isIndex } from '../../core/media-types.ts';
import { parseDockerRef } from '../../core/reference.ts';
import { sizeSchema } from '../../core/size-schema.ts';
import type { ContentStore } from '../content/index.ts';
import type { ImageStore } from '../images/index.ts';
import type { Descriptor } from '../images/manifest.ts';

/** What one reference names. */
export interface ReferenceTarget {
  /** The image (config digest) the reference reaches. */
  image: Digest;
  /**
   * The manifest or index the reference names, byte for byte a blob of the store. Absent only for
   * a reference carried over from format 1 whose image had no manifest yet: the image's own
   * manifest is meant (`ReferenceStore.descriptorOf`).
   */
  descriptor?: Descriptor;
  /** When `descriptor` is an index: the image manifest chosen from it (for this store's platform). */
  manifest?: Descriptor;
}

export type References = Record<string, ReferenceTarget>;

const descriptorSchema = z.object({
  mediaType: z.string(),
  digest: digestSchema,
  size: sizeSchema,
});
const targetSchema = z.object({
  image: digestSchema,
  descriptor: z.optional(descriptorSchema),
  manifest: z.optional(descriptorSchema),
});
const generationSchema = z.optional(z.number().check(z.int(), z.nonnegative()));

export const referencesFileSchema = z.union([
  z.object({
    format: z.literal(2),
    generation: generationSchema,
    references: z.record(z.string(), targetSchema),
  }),
  z.object({ generation: generationSchema, references: z.record(z.string(), digestSchema) }),
]);
export type ReferencesFile = z.infer<typeof referencesFileSchema>;

export const FORMAT = 2;

/** The content of the file to write: format 2, references sorted by name. */
export function formatReferences(generation: number, references: References): object {
  return { format: FORMAT, generation, references: sortedReferences(references) };
}

/** `refs` in the order they are written: by reference. */
export function sortedReferences<T>(refs: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(refs).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * Format 1's references as format 2 names them: a digest reference names the manifest (or index)
 * its digest is, when that blob is stored; otherwise, and for tags, the manifest the image record
 * keeps (what a push sent before references named manifests).
 */
export async function fromFormat1(
  references: Record<string, Digest>,
  images: ImageStore,
  content: ContentStore,
): Promise<References> {
  const converted: References = {};
  for (const [ref, image] of Object.entries(references)) {
    const own = (await images.get(image).catch(() => undefined))?.manifest;
    const digest = digestOf(ref);
    const named = digest !== undefined ? await storedManifest(content, digest) : undefined;
    const descriptor = named ?? own;
    converted[ref] = {
      image,
      ...(descriptor && { descriptor }),
      ...(named && isIndex(named.mediaType) && own && { manifest: own }),
    };
  }
  return converted;
}

function digestOf(ref: string): Digest | undefined {
  try {
    const { digest } = parseDockerRef(ref);
    return digest === undefined ? undefined : asDigest(digest);
  } catch {
    return undefined;
  }
}

/** The descriptor of a stored manifest or index blob, its media type read from its bytes. */
async function storedManifest(
  content: ContentStore,
  digest: Digest,
): Promise<Descriptor | undefined> {
  const bytes = await content.read(digest, 4 << 20).catch(() => undefined);
  if (bytes === undefined) return undefined;
  const mediaType = manifestMediaType(bytes);
  return mediaType === undefined ? undefined : { mediaType, digest, size: bytes.length };
}

/** The media type a manifest or index states, or the one its shape says (OCI may omit it). */
export function manifestMediaType(bytes: Uint8Array): string | undefined {
  let json: {
    mediaType?: unknown;
    schemaVersion?: unknown;
    manifests?: unknown;
    config?: unknown;
    signatures?: unknown;
  };
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8')) as typeof json;
  } catch {
    return undefined;
  }
  if (typeof json !== 'object' || json === null) return undefined;
  if (typeof json.mediaType === 'string') return json.mediaType;
  if (json.schemaVersion === 1)
    return Array.isArray(json.signatures)
      ? MediaTypes.dockerSchema1Signed
      : MediaTypes.dockerSchema1;
  if (Array.isArray(json.manifests)) return MediaTypes.ociIndex;
  if (typeof json.config === 'object') return MediaTypes.ociManifest;
  return undefined;
}
