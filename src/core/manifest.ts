/**
 * Manifests and indexes (OCI image-spec and Docker schema2 share one shape): zod schemas for the
 * fields shale uses, with everything else passed through, and platform matching for indexes.
 */
import * as z from './zod.ts';
import { sizeSchema } from './size-schema.ts';
import { digestSchema } from './digest-schema.ts';
import type { Digest } from './digest.ts';
import { ShaleError } from './errors.ts';
import { MediaTypes } from './media-types.ts';

const platformSchema = z.looseObject({
  architecture: z.string(),
  os: z.string(),
  variant: z.optional(z.string()),
});
export type Platform = z.infer<typeof platformSchema>;

const descriptorSchema = z.looseObject({
  mediaType: z.string(),
  digest: digestSchema,
  size: sizeSchema,
  annotations: z.optional(z.record(z.string(), z.string())),
  platform: z.optional(platformSchema),
});
export type ManifestDescriptor = z.infer<typeof descriptorSchema> & { digest: Digest };

const imageManifestSchema = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.optional(z.string()),
  config: descriptorSchema,
  layers: z.array(descriptorSchema),
});
export type ImageManifest = z.infer<typeof imageManifestSchema>;

const indexSchema = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.optional(z.string()),
  manifests: z.array(descriptorSchema),
});
export type ImageIndex = z.infer<typeof indexSchema>;

function parseWith<T>(schema: z.ZodMiniType<T>, bytes: Uint8Array, what: string): T {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    throw new ShaleError('ERR_INVALID_ARGUMENT', `${what} is not JSON: ${(err as Error).message}`);
  }
  const result = schema.safeParse(json);
  if (!result.success) {
    const detail = result.error.issues
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    throw new ShaleError('ERR_INVALID_ARGUMENT', `invalid ${what}: ${detail}`);
  }
  return result.data;
}

export function parseImageManifest(bytes: Uint8Array): ImageManifest {
  return parseWith(imageManifestSchema, bytes, 'image manifest');
}

/** The blobs an image manifest names: its config, then its layers. */
export function manifestBlobs(manifest: ImageManifest): ManifestDescriptor[] {
  return [manifest.config, ...manifest.layers] as ManifestDescriptor[];
}

/**
 * The OCI manifest shale writes for an image that has none of its own (made here, or converted
 * from schema1): compact JSON, in the field order of Go's encoding, so its digest is stable.
 */
export function ociManifestBytes(
  config: { digest: Digest; size: number },
  layers: readonly { mediaType: string; digest: Digest; size: number }[],
): Buffer {
  const manifest = {
    schemaVersion: 2,
    mediaType: MediaTypes.ociManifest,
    config: { mediaType: MediaTypes.ociConfig, digest: config.digest, size: config.size },
    layers: layers.map(({ mediaType, digest, size }) => ({ mediaType, digest, size })),
  };
  return Buffer.from(JSON.stringify(manifest));
}

export function parseImageIndex(bytes: Uint8Array, what = 'image index'): ImageIndex {
  return parseWith(indexSchema, bytes, what);
}

/** This machine's platform in OCI terms. */
export function hostPlatform(arch: string = process.arch): Platform {
  const architecture =
    (
      {
        x64: 'amd64',
        ia32: '386',
        arm64: 'arm64',
        arm: 'arm',
        ppc64: 'ppc64le',
        s390x: 's390x',
        riscv64: 'riscv64',
      } as Record<string, string>
    )[arch] ?? arch;
  return { os: 'linux', architecture };
}

export function platformMatches(candidate: Platform | undefined, wanted: Platform): boolean {
  if (!candidate) return false;
  return (
    candidate.os === wanted.os &&
    candidate.architecture === wanted.architecture &&
    (wanted.variant === undefined || candidate.variant === wanted.variant)
  );
}

/** `os/arch[/variant]` (as `--platform` takes it) → a Platform. */
export function parsePlatform(text: string): Platform {
  const parts = text.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[a-z0-9_.-]+$/i.test(p))) {
    throw new ShaleError(
      'ERR_INVALID_ARGUMENT',
      `platform ${JSON.stringify(text)} is not os/arch[/variant], e.g. linux/amd64 or linux/arm/v7`,
    );
  }
  const [os, architecture, variant] = parts as [string, string, string | undefined];
  return { os, architecture, ...(variant !== undefined && { variant }) };
}

/** `os/arch[/variant]` for messages. */
export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter((x) => x !== undefined).join('/');
}
