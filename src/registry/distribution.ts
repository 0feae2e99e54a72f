/**
 * What a registry holds under a reference, without pulling it (the Engine API's
 * `GET /distribution/{name}/json`, `docker manifest inspect`'s question): the descriptor of the
 * manifest or index the reference names, verified against its digest, and the platforms it offers
 * — an index's entries, or an image manifest's own platform read from its config. A schema1
 * manifest names no platforms (as dockerd answers).
 */
import type { Digest } from '../core/digest.ts';
import { ShaleError } from '../core/errors.ts';
import { isImageManifest, isIndex } from '../core/media-types.ts';
import { parseImageIndex, parseImageManifest } from '../core/manifest.ts';
import type { NamedReference } from '../core/reference.ts';
import type { RegistryClient } from './client.ts';
import { hashAs } from './pull/hash-as.ts';
import { fetchVerified } from './pull/resolve.ts';
import { RemoteRepository } from './repository.ts';

/** A platform in the OCI spec's JSON keys, the ones dockerd reports. */
export interface RemotePlatform {
  architecture: string;
  os: string;
  'os.version'?: string;
  'os.features'?: string[];
  variant?: string;
}

export interface RemoteImage {
  descriptor: { mediaType: string; digest: Digest; size: number };
  platforms: RemotePlatform[];
}

/** The most config bytes read to learn a platform. */
const MAX_CONFIG_BYTES = 4 << 20;

function platformOf(value: Record<string, unknown>): RemotePlatform {
  const text = (key: string) => (typeof value[key] === 'string' ? value[key] : undefined);
  const features = value['os.features'];
  return {
    architecture: text('architecture') ?? '',
    os: text('os') ?? '',
    ...(text('os.version') !== undefined && { 'os.version': text('os.version') }),
    ...(Array.isArray(features) && { 'os.features': features.map(String) }),
    ...(text('variant') !== undefined && { variant: text('variant') }),
  };
}

/** The manifest or index `ref` names (its digest, else its tag, else `latest`) and its platforms. */
export async function inspectRemoteImage(
  client: RegistryClient,
  ref: NamedReference,
  signal?: AbortSignal,
): Promise<RemoteImage> {
  const repo = new RemoteRepository(client, ref, ['pull']);
  const digest =
    (ref.digest as Digest | undefined) ?? (await repo.headManifest(ref.tag ?? 'latest', signal));
  const { bytes, mediaType } = await fetchVerified(repo, digest);
  const descriptor = { mediaType, digest, size: bytes.length };
  if (isIndex(mediaType)) {
    const index = parseImageIndex(bytes, `index ${digest}`);
    const platforms = index.manifests.flatMap((m) => (m.platform ? [platformOf(m.platform)] : []));
    return { descriptor, platforms };
  }
  if (!isImageManifest(mediaType)) return { descriptor, platforms: [] };
  const { config } = parseImageManifest(bytes);
  const configBytes = await repo.readBlob(
    config.digest,
    Math.min(config.size, MAX_CONFIG_BYTES),
    signal,
  );
  if (hashAs(config.digest, configBytes) !== config.digest)
    throw new ShaleError(
      'ERR_DIGEST_MISMATCH',
      `config ${config.digest} from ${repo.displayName} does not hash to its digest; refusing it`,
    );
  let parsed: unknown;
  try {
    parsed = JSON.parse(configBytes.toString('utf8'));
  } catch {
    throw new ShaleError(
      'ERR_INVALID_ARGUMENT',
      `config ${config.digest} from ${repo.displayName} is not JSON`,
    );
  }
  const platform = platformOf((parsed ?? {}) as Record<string, unknown>);
  return { descriptor, platforms: platform.os || platform.architecture ? [platform] : [] };
}
