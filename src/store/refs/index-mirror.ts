/**
 * The OCI layout's `index.json` as a mirror of the references: one entry per reference, naming
 * the image manifest it reaches (for a reference to an index: the manifest chosen from it, the one
 * whose blobs the store holds), with `org.opencontainers.image.ref.name` and
 * `io.containerd.image.name` = the full reference, so skopeo and umoci can read every referenced
 * image. The annotation `io.shale.references.generation` says which generation of the references
 * it mirrors.
 */
import * as z from '../../core/zod.ts';
import type { Digest } from '../../core/digest.ts';
import { digestSchema } from '../../core/digest-schema.ts';
import { Annotations, MediaTypes } from '../../core/media-types.ts';
import type { Descriptor } from '../images/manifest.ts';
import { readJsonFile, writeJsonAtomic } from '../json-file.ts';
import type { StoreLayout } from '../layout.ts';

/** The annotation of `index.json` that says which generation of the references it mirrors. */
export const GENERATION_ANNOTATION = 'io.shale.references.generation';

const generationSchema = z.object({
  annotations: z.optional(z.record(z.string(), z.string())),
});
const entriesSchema = z.object({
  manifests: z.array(
    z.object({
      mediaType: z.optional(z.string()),
      digest: digestSchema,
      size: z.optional(z.number()),
      annotations: z.optional(z.record(z.string(), z.string())),
    }),
  ),
});

/** An entry of the mirror: a reference and the manifest it names there. */
export interface MirroredEntry {
  ref: string;
  manifest: Digest;
  descriptor?: Descriptor;
}

/** The generation `index.json` mirrors: 0 when absent, undefined when it does not parse. */
export async function mirroredGeneration(layout: StoreLayout): Promise<number | undefined> {
  const json: unknown = await readJsonFile(layout.indexFile).catch(() => null);
  if (json === undefined) return 0;
  const parsed = generationSchema.safeParse(json);
  if (!parsed.success) return undefined;
  return Number(parsed.data.annotations?.[GENERATION_ANNOTATION] ?? 0);
}

/** The entries of `index.json` that name a reference; none when it does not parse. */
export async function mirroredEntries(layout: StoreLayout): Promise<MirroredEntry[]> {
  const json: unknown = await readJsonFile(layout.indexFile).catch(() => undefined);
  const parsed = entriesSchema.safeParse(json);
  if (!parsed.success) return [];
  return parsed.data.manifests.flatMap(({ annotations, mediaType, digest, size }) => {
    const ref = annotations?.[Annotations.refName];
    if (ref === undefined) return [];
    const descriptor = mediaType !== undefined && size !== undefined && { mediaType, digest, size };
    return [{ ref, manifest: digest, ...(descriptor && { descriptor }) }];
  });
}

/** Write `index.json`: each reference with the manifest it reaches, at `generation`. */
export async function writeMirror(
  layout: StoreLayout,
  manifests: readonly { ref: string; manifest: Descriptor }[],
  generation: number,
): Promise<void> {
  await writeJsonAtomic(layout.indexFile, {
    schemaVersion: 2,
    mediaType: MediaTypes.ociIndex,
    manifests: manifests.map(({ ref, manifest }) => ({
      mediaType: manifest.mediaType,
      digest: manifest.digest,
      size: manifest.size,
      annotations: { [Annotations.refName]: ref, [Annotations.containerdName]: ref },
    })),
    annotations: { [GENERATION_ANNOTATION]: String(generation) },
  });
}
