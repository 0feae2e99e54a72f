/**
 * `manifest.json` of a docker-archive (spec §5.2): one item per image with the archive paths of
 * its config and layer tars and the tags it is saved under. Docker 25+ adds `LayerSources`
 * (descriptors per DiffID), which loading tolerates and does not need.
 */
import * as z from '../../core/zod.ts';
import { ShaleError } from '../../core/errors.ts';

const manifestItemSchema = z.object({
  Config: z.string().check(z.minLength(1)),
  RepoTags: z.optional(z.nullable(z.array(z.string()))),
  Layers: z.array(z.string()),
  Parent: z.optional(z.string()),
  LayerSources: z.optional(z.record(z.string(), z.unknown())),
});

export type DockerManifestItem = z.infer<typeof manifestItemSchema>;

export const MANIFEST_JSON = 'manifest.json';

/** The items of a manifest.json; ShaleError when it is not one. */
export function parseDockerManifest(bytes: Uint8Array): DockerManifestItem[] {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    throw new ShaleError(
      'ERR_INVALID_ARGUMENT',
      `${MANIFEST_JSON} is not JSON: ${(err as Error).message}`,
    );
  }
  const parsed = z.array(manifestItemSchema).safeParse(json);
  if (!parsed.success) {
    throw new ShaleError(
      'ERR_INVALID_ARGUMENT',
      `${MANIFEST_JSON} is not a docker-archive manifest: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
    );
  }
  return parsed.data;
}

/** The manifest.json bytes Docker writes: compact JSON and a newline. */
export function encodeDockerManifest(items: DockerManifestItem[]): Buffer {
  return Buffer.from(`${JSON.stringify(items)}\n`);
}
