/**
 * Image configs (OCI `application/vnd.oci.image.config.v1+json`, Docker's container image v1):
 * validation of the fields the image graph relies on — `rootfs.diff_ids` and the history entries
 * that stand for them — while every other field passes through untouched. The bytes are parsed,
 * never re-serialised: the image ID is the digest of the bytes as given.
 */
import * as z from './zod.ts';
import type { Digest } from './digest.ts';
import { digestSchema } from './digest-schema.ts';
import { ShaleError } from './errors.ts';
import { imageIdOf } from './ids.ts';

const historyEntry = z.looseObject({
  created: z.optional(z.string()),
  created_by: z.optional(z.string()),
  author: z.optional(z.string()),
  comment: z.optional(z.string()),
  empty_layer: z.optional(z.boolean()),
});

const imageConfigSchema = z.looseObject({
  // Required by OCI, yet absent from configs Docker made from v1 JSON (a 1.x graph's lower images,
  // older schema1 history), which Docker accepts: shown as empty.
  architecture: z.optional(z.string()),
  os: z.optional(z.string()),
  variant: z.optional(z.string()),
  created: z.optional(z.string()),
  author: z.optional(z.string()),
  config: z.optional(z.nullable(z.looseObject({}))),
  rootfs: z.object({ type: z.literal('layers'), diff_ids: z.array(digestSchema) }),
  history: z.optional(z.nullable(z.array(historyEntry))),
});

export type ImageConfig = z.infer<typeof imageConfigSchema> & { rootfs: { diff_ids: Digest[] } };
export type HistoryEntry = z.infer<typeof historyEntry>;

export interface ParsedImageConfig {
  /** The image ID: sha256 of the bytes. */
  id: Digest;
  config: ImageConfig;
  bytes: Buffer;
}

function describe(error: z.core.$ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}

/** Parse and validate config bytes; throws ERR_INVALID_ARGUMENT saying what is wrong. */
export function parseImageConfig(bytes: Uint8Array): ParsedImageConfig {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let json: unknown;
  try {
    json = JSON.parse(buffer.toString('utf8'));
  } catch (err) {
    throw new ShaleError(
      'ERR_INVALID_ARGUMENT',
      `image config is not JSON: ${(err as Error).message}`,
    );
  }
  const result = imageConfigSchema.safeParse(json);
  if (!result.success)
    throw new ShaleError('ERR_INVALID_ARGUMENT', `invalid image config: ${describe(result.error)}`);
  const config = result.data as ImageConfig;
  const history = config.history ?? [];
  if (history.length > 0) {
    const layered = history.filter((h) => !h.empty_layer).length;
    if (layered !== config.rootfs.diff_ids.length) {
      throw new ShaleError(
        'ERR_INVALID_ARGUMENT',
        `invalid image config: history has ${layered} non-empty layers but rootfs.diff_ids lists ${config.rootfs.diff_ids.length}`,
      );
    }
  }
  return { id: imageIdOf(buffer), config, bytes: buffer };
}
