/**
 * Digests: `algorithm:hex` strings naming content (OCI image-spec "digest" grammar, with the
 * algorithms shale accepts: sha256 and sha512), and the recognition of TarSum labels
 * (`tarsum.v1+sha256:<hex>`), which look like digests but are never identities.
 */
import { ShaleError } from './errors.ts';

export type DigestAlgorithm = 'sha256' | 'sha512';

/** A validated content digest such as `sha256:e3b0c442…`. */
export type Digest = string & { readonly __brand: 'Digest' };

const HEX_LENGTH: Record<DigestAlgorithm, number> = { sha256: 64, sha512: 128 };
const DIGEST_SHAPE = /^([a-z0-9]+(?:[.+_-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$/;

/**
 * The TarSum label pattern of docker/distribution's old digest package, anchored and with its
 * dot escaped: upstream's unanchored pattern accepted any string that merely contained a
 * tarsum-shaped substring (spec §1.1).
 */
const TARSUM_LABEL = /^tarsum(?:\.([a-z0-9]+))?\+([a-zA-Z0-9]+):([a-fA-F0-9]+)$/;

export interface ParsedDigest {
  algorithm: DigestAlgorithm;
  hex: string;
}

/** Parse and validate `algorithm:hex`; throws ERR_INVALID_DIGEST or ERR_UNSUPPORTED. */
export function parseDigest(text: string): ParsedDigest {
  const m = DIGEST_SHAPE.exec(text);
  if (!m)
    throw new ShaleError(
      'ERR_INVALID_DIGEST',
      `invalid digest ${JSON.stringify(text)}: expected algorithm:hex`,
    );
  const algorithm = m[1]!;
  const hex = m[2]!;
  if (algorithm !== 'sha256' && algorithm !== 'sha512') {
    throw new ShaleError(
      'ERR_UNSUPPORTED',
      `unsupported digest algorithm ${JSON.stringify(algorithm)}: use sha256 or sha512`,
    );
  }
  if (!/^[a-f0-9]+$/.test(hex) || hex.length !== HEX_LENGTH[algorithm]) {
    throw new ShaleError(
      'ERR_INVALID_DIGEST',
      `invalid ${algorithm} digest ${JSON.stringify(text)}: expected ${HEX_LENGTH[algorithm]} lowercase hex characters`,
    );
  }
  return { algorithm, hex };
}

/** Validate and brand a digest string. */
export function asDigest(text: string): Digest {
  parseDigest(text);
  return text as Digest;
}

export function isDigest(text: string): text is Digest {
  try {
    parseDigest(text);
    return true;
  } catch {
    return false;
  }
}

/** Build a digest from an algorithm and lowercase hex (as produced by node:crypto). */
export function digestOf(algorithm: DigestAlgorithm, hex: string): Digest {
  return asDigest(`${algorithm}:${hex}`);
}

export interface ParsedTarsumLabel {
  /** Version suffix without the dot: `''` for Version0, `v1`, `dev`. */
  version: string;
  algorithm: string;
  hex: string;
}

/** Recognise a whole TarSum checksum string; returns undefined for anything else. */
export function parseTarsumLabel(text: string): ParsedTarsumLabel | undefined {
  const m = TARSUM_LABEL.exec(text);
  if (!m) return undefined;
  return { version: m[1] ?? '', algorithm: m[2]!, hex: m[3]! };
}
