/**
 * Resolving what to pull: a tag through HEAD (`Docker-Content-Digest`) then the manifest by
 * digest, verified against that digest with the digest's own algorithm (for signed schema1, the
 * digest of the signed payload); an index or manifest list narrowed to one platform (an entry
 * that is itself an index is refused as such). Each read goes to the pull's endpoints in order
 * (endpoints.ts): a mirror may answer the tag, and a manifest that does not verify is asked of
 * the next endpoint.
 */
import type { Digest } from '../../core/digest.ts';
import { ShaleError } from '../../core/errors.ts';
import {
  formatPlatform,
  parseImageIndex,
  type ImageIndex,
  parseImageManifest,
  platformMatches,
  type ImageManifest,
  type Platform,
} from '../../core/manifest.ts';
import {
  checkSchema1Manifest,
  fixManifestLayers,
  parseSchema1Manifest,
  verifySchema1Digest,
  verifySchema1Signatures,
  type ParsedSchema1,
} from '../../legacy/index.ts';
import { isImageManifest, isIndex, isSchema1 } from '../../core/media-types.ts';
import type { RemoteRepository } from '../repository.ts';
import type { PullEndpoints } from './endpoints.ts';
import { hashAs } from './hash-as.ts';

export interface ResolvedManifest {
  kind: 'schema2';
  /** Digest of the image manifest (for an index: of the chosen platform's manifest). */
  digest: Digest;
  mediaType: string;
  bytes: Buffer;
  manifest: ImageManifest;
  /** Digest the tag or digest reference named (the index's, when it named an index). */
  named: Digest;
  /** The index the reference named, as the registry served it. */
  index?: { mediaType: string; bytes: Buffer };
}

/** A schema1 manifest: signatures verified, layers fixed as Docker fixes them (spec §3.1). */
export interface ResolvedSchema1 {
  kind: 'schema1';
  digest: Digest;
  named: Digest;
  parsed: ParsedSchema1;
}

/** A manifest by digest, checked against that digest (a schema1 one: its signed payload's). */
export async function fetchVerified(
  repo: RemoteRepository,
  digest: Digest,
): Promise<{ bytes: Buffer; mediaType: string }> {
  const got = await repo.getManifest(digest);
  if (isSchema1(got.mediaType)) {
    verifySchema1Digest(parseSchema1Manifest(got.bytes), digest);
    return got;
  }
  const actual = hashAs(digest, got.bytes);
  if (actual !== digest) {
    throw new ShaleError(
      'ERR_DIGEST_MISMATCH',
      `manifest ${digest} from ${repo.displayName} hashes to ${actual}; refusing it`,
    );
  }
  return got;
}

/** The image manifest that `reference` (a tag or a digest) names for `platform`. */
export async function resolveManifest(
  endpoints: PullEndpoints,
  reference: string,
  platform: Platform,
): Promise<ResolvedManifest | ResolvedSchema1> {
  const repo = endpoints.origin;
  const manifestOf = async (d: Digest) =>
    (await endpoints.first(`manifest ${d}`, (r) => fetchVerified(r, d))).value;
  const named = reference.includes(':')
    ? (reference as Digest)
    : (await endpoints.first(`tag ${reference}`, (r) => r.headManifest(reference))).value;
  let { bytes, mediaType } = await manifestOf(named);
  let digest = named;
  let index: ResolvedManifest['index'];
  if (isIndex(mediaType)) {
    index = { mediaType, bytes };
    const parsed = parseImageIndex(bytes, `index ${named}`);
    digest = pickPlatform(parsed, platform, `${repo.displayName}:${reference}`);
    ({ bytes, mediaType } = await manifestOf(digest));
  }
  if (isSchema1(mediaType)) return resolveSchema1(repo, reference, bytes, digest, named);
  if (!isImageManifest(mediaType)) {
    throw new ShaleError(
      'ERR_UNSUPPORTED',
      `${repo.displayName}:${reference} has unsupported manifest type ${mediaType}`,
    );
  }
  const manifest = parseImageManifest(bytes);
  return { kind: 'schema2', digest, mediaType, bytes, manifest, named, ...(index && { index }) };
}

/** The image manifest an index names for `platform`, or an error saying what the index holds. */
export function pickPlatform(index: ImageIndex, platform: Platform, where: string): Digest {
  const images = index.manifests.filter((m) => isImageManifest(m.mediaType));
  const match = images.find((m) => platformMatches(m.platform, platform));
  if (match) return match.digest;
  const wanted = formatPlatform(platform);
  const nested = index.manifests.find(
    (m) =>
      isIndex(m.mediaType) && (m.platform === undefined || platformMatches(m.platform, platform)),
  );
  if (nested) {
    throw new ShaleError(
      'ERR_UNSUPPORTED',
      `${where}: its entry for ${wanted} is itself an index (${nested.digest}); nested indexes are not supported`,
    );
  }
  if (images.length === 0) {
    const types = [...new Set(index.manifests.map((m) => m.mediaType))].join(', ') || 'nothing';
    throw new ShaleError(
      'ERR_NOT_FOUND',
      `${where} is an index with no image manifests (it lists ${types})`,
    );
  }
  const offered = images.map((m) => (m.platform ? formatPlatform(m.platform) : '?')).join(', ');
  throw new ShaleError(
    'ERR_NOT_FOUND',
    `${where} has no image for ${wanted} (it offers ${offered}); pick one with --platform`,
  );
}

function resolveSchema1(
  repo: RemoteRepository,
  reference: string,
  bytes: Buffer,
  digest: Digest,
  named: Digest,
): ResolvedSchema1 {
  return {
    kind: 'schema1',
    digest,
    named,
    parsed: checkedSchema1(bytes, repo.path, reference, digest),
  };
}

/**
 * A schema1 manifest `path:reference` served, checked as a pull checks it — its payload's digest
 * (when one is expected), its signatures, its name and tag — with its layers fixed as Docker fixes
 * them (spec §3.1).
 */
export function checkedSchema1(
  bytes: Buffer,
  path: string,
  reference: string,
  digest: Digest | undefined,
): ParsedSchema1 {
  const parsed = parseSchema1Manifest(bytes);
  if (digest !== undefined) verifySchema1Digest(parsed, digest);
  if (parsed.signatures.length > 0) verifySchema1Signatures(parsed);
  checkSchema1Manifest(parsed.manifest, {
    name: path,
    ...(!reference.includes(':') && { tag: reference }),
  });
  return { ...parsed, manifest: fixManifestLayers(parsed.manifest) };
}
