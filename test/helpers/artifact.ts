/**
 * Attached artifacts for tests: an OCI artifact manifest (the empty config, one payload layer, a
 * `subject`, a creation annotation) and its blobs, ready for `attachArtifact`.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Digest } from '../../src/core/index.ts';
import type { Artifact } from '../../src/registry/index.ts';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const SIG_TYPE = 'application/vnd.dev.cosign.artifact.sig.v1+json';
export const SBOM_TYPE = 'application/spdx+json';
const EMPTY = Buffer.from('{}');

export const sha256 = (bytes: Buffer) =>
  `sha256:${createHash('sha256').update(bytes).digest('hex')}` as Digest;

/** An artifact manifest (empty config, one payload layer) with `subject`, and its blobs. */
export function artifact(
  subject: { mediaType: string; digest: string; size: number },
  artifactType: string,
  payload: string,
  created: string,
): Artifact & { digest: Digest } {
  const body = Buffer.from(payload);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      artifactType,
      config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256(EMPTY), size: 2 },
      layers: [{ mediaType: artifactType, digest: sha256(body), size: body.length }],
      subject,
      annotations: { 'org.opencontainers.image.created': created },
    }),
  );
  const blob = (bytes: Buffer) => ({
    digest: sha256(bytes),
    size: bytes.length,
    open: () => Readable.from([bytes]),
  });
  return { manifest, digest: sha256(manifest), blobs: [blob(EMPTY), blob(body)] };
}

/** The subject descriptor (media type, digest, size) of an artifact, for one that refers to it. */
export function subjectOfArtifact(a: Artifact & { digest: Digest }) {
  return { mediaType: OCI_MANIFEST, digest: a.digest, size: a.manifest.length };
}
