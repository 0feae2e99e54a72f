/**
 * Attaching an artifact (a signature, an SBOM: an OCI image manifest whose `subject` names
 * another manifest) to a repository: the blobs its manifest lists that the registry lacks, then
 * the manifest by digest. A registry with a referrers API of its own says so with `OCI-Subject`;
 * without one (Distribution 2.8), the referrers tag schema's index under `<alg>-<hex>` of the
 * subject is read, the artifact's descriptor added (the others kept), and the index put back.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { digestOf, type Digest } from '../../core/digest.ts';
import { ShaleError } from '../../core/errors.ts';
import { parseImageManifest } from '../../core/manifest.ts';
import { MediaTypes } from '../../core/media-types.ts';
import type { NamedReference } from '../../core/reference.ts';
import type { RegistryClient } from '../client.ts';
import { hashAs } from '../pull/hash-as.ts';
import {
  asReferrerDescriptor,
  readReferrersTag,
  referrersTag,
  type ReferrerDescriptor,
} from '../referrers.ts';
import { RemoteRepository } from '../repository.ts';

/** A blob of the artifact (its config or a layer), opened as often as it is sent. */
export interface ArtifactBlob {
  digest: Digest;
  size: number;
  open: () => Readable;
}

export interface Artifact {
  /** The OCI image manifest, byte for byte; it must have a `subject`. */
  manifest: Buffer;
  /** Its digest when it is not the sha256 of the bytes (checked against them). */
  digest?: Digest;
  /** The blobs it lists that the registry may lack; one it lacks and is not given is an error. */
  blobs: readonly ArtifactBlob[];
}

export interface AttachResult {
  /** The artifact manifest's digest. */
  digest: Digest;
  subject: Digest;
  /** The descriptor a referrers list shows for it. */
  descriptor: ReferrerDescriptor;
  /** `api`: the registry tracks referrers itself; `tag-schema`: its referrers tag was updated. */
  recordedBy: 'api' | 'tag-schema';
}

/** The descriptor of an artifact manifest in a referrers list (distribution-spec v1.1). */
export function referrerDescriptor(
  digest: Digest,
  size: number,
  manifest: ReturnType<typeof parseImageManifest>,
): ReferrerDescriptor {
  const artifactType =
    typeof manifest.artifactType === 'string' ? manifest.artifactType : manifest.config.mediaType;
  const annotations = manifest.annotations as Record<string, string> | undefined;
  return {
    mediaType: MediaTypes.ociManifest,
    digest,
    size,
    artifactType,
    ...(annotations !== undefined && { annotations }),
  };
}

/** Sends each blob of the manifest the registry lacks. */
async function sendBlobs(
  repo: RemoteRepository,
  listed: readonly { digest: Digest; size: number }[],
  given: readonly ArtifactBlob[],
  signal?: AbortSignal,
): Promise<void> {
  for (const { digest, size } of listed) {
    if (await repo.hasBlob(digest, signal)) continue;
    const blob = given.find((b) => b.digest === digest);
    if (blob === undefined)
      throw new ShaleError(
        'ERR_INVALID_ARGUMENT',
        `the artifact lists blob ${digest}, which ${repo.displayName} lacks and was not given`,
      );
    if (blob.size !== size)
      throw new ShaleError(
        'ERR_SIZE_MISMATCH',
        `the artifact lists blob ${digest} with ${size} bytes, given ${blob.size}`,
      );
    await repo.uploadBlob(digest, size, blob.open, () => undefined, signal);
  }
}

/** Adds `descriptor` to the referrers tag schema's index of `subject`, keeping the others. */
async function recordInTagSchema(
  repo: RemoteRepository,
  subject: Digest,
  descriptor: ReferrerDescriptor,
  signal?: AbortSignal,
): Promise<void> {
  const current = await readReferrersTag(repo, subject, signal);
  if (current?.manifests.some((d) => d.digest === descriptor.digest)) return;
  const index = current?.index ?? { schemaVersion: 2, mediaType: MediaTypes.ociIndex };
  const manifests = [...(current?.manifests ?? []), descriptor];
  const bytes = Buffer.from(JSON.stringify({ ...index, manifests }));
  await repo.putManifest(referrersTag(subject), MediaTypes.ociIndex, bytes, signal);
}

/** An artifact manifest checked: an OCI image manifest with a subject, hashing to its digest. */
export interface CheckedArtifact {
  bytes: Buffer;
  digest: Digest;
  subject: Digest;
  manifest: ReturnType<typeof parseImageManifest>;
}

/** Checks `bytes` as an artifact manifest (of `digest`, default the sha256 of the bytes). */
export function checkArtifact(bytes: Buffer, digest?: Digest): CheckedArtifact {
  const manifest = parseImageManifest(bytes);
  if (manifest.mediaType !== MediaTypes.ociManifest)
    throw new ShaleError(
      'ERR_INVALID_ARGUMENT',
      `an artifact must be an OCI image manifest (mediaType ${MediaTypes.ociManifest})`,
    );
  if (manifest.subject === undefined)
    throw new ShaleError('ERR_INVALID_ARGUMENT', 'the artifact manifest has no subject');
  const subject = asReferrerDescriptor(manifest.subject, 'the artifact manifest: subject').digest;
  const named = digest ?? digestOf('sha256', createHash('sha256').update(bytes).digest('hex'));
  if (hashAs(named, bytes) !== named)
    throw new ShaleError('ERR_DIGEST_MISMATCH', `the artifact manifest does not hash to ${named}`);
  return { bytes, digest: named, subject, manifest };
}

/**
 * Puts a checked artifact manifest, whose blobs `repo` already has, by digest, and records it as
 * a referrer of its subject (the registry's own API, else the referrers tag schema).
 */
export async function putArtifact(
  repo: RemoteRepository,
  artifact: CheckedArtifact,
  signal?: AbortSignal,
): Promise<AttachResult> {
  const { bytes, digest, subject, manifest } = artifact;
  const answer = await repo.putManifestAnswer(digest, MediaTypes.ociManifest, bytes, signal);
  if (answer.digest !== digest)
    throw new ShaleError(
      'ERR_DIGEST_MISMATCH',
      `${repo.displayName} stored the artifact manifest ${digest} as ${answer.digest}`,
    );
  const descriptor = referrerDescriptor(digest, bytes.length, manifest);
  if (answer.ociSubject !== undefined) return { digest, subject, descriptor, recordedBy: 'api' };
  await recordInTagSchema(repo, subject, descriptor, signal);
  return { digest, subject, descriptor, recordedBy: 'tag-schema' };
}

/** Pushes `artifact` into the repository `ref` names and records it as a referrer of its subject. */
export async function attachArtifact(
  client: RegistryClient,
  ref: NamedReference,
  artifact: Artifact,
  signal?: AbortSignal,
): Promise<AttachResult> {
  const checked = checkArtifact(artifact.manifest, artifact.digest);
  const repo = new RemoteRepository(client, ref, ['pull', 'push']);
  const { config, layers } = checked.manifest;
  await sendBlobs(repo, [config, ...layers], artifact.blobs, signal);
  return putArtifact(repo, checked, signal);
}
