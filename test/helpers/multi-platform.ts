/**
 * Multi-platform images for tests, put on a real registry through its HTTP API: two images to
 * stand for two platforms (`edge` as linux/amd64, `small` as linux/arm64), an index over
 * manifests already published under tags (each entry given a platform), and the attestation
 * manifest buildx attaches to a platform's image (an OCI image manifest typed `unknown/unknown`,
 * with an in-toto layer).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { buildEdgeImage } from './edge-image.ts';
import { publish } from './publish.ts';
import { buildSmallFixture } from './small-fixture.ts';

/** OCI layouts of the two images: `edge` (tag `edge`) and `small` (tag `small`). */
export interface TwoImages {
  edge: string;
  small: string;
}

/** Build both images under `work`. */
export async function buildTwoImages(work: string): Promise<TwoImages> {
  const edge = path.join(work, 'edge');
  buildEdgeImage(path.join(work, 'trees'), edge);
  await buildSmallFixture(path.join(work, 'small'));
  return { edge, small: path.join(work, 'small', 'oci') };
}

/** Publish `edge` as `repo:amd` and `small` as `repo:arm` (OCI), with their index entries. */
export async function publishTwoPlatforms(
  host: string,
  repo: string,
  images: TwoImages,
): Promise<{ amd: IndexEntry; arm: IndexEntry }> {
  await publish(images.edge, 'edge', `${host}/${repo}:amd`, 'oci');
  await publish(images.small, 'small', `${host}/${repo}:arm`, 'oci');
  return {
    amd: await entryOf(host, repo, 'amd', 'amd64'),
    arm: await entryOf(host, repo, 'arm', 'arm64'),
  };
}

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

export interface IndexEntry {
  mediaType: string;
  digest: string;
  size: number;
  platform: { os: string; architecture: string };
  annotations?: Record<string, string>;
}

const sha256 = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** The index entry for the OCI manifest `repo:tag` serves, as `os/architecture`. */
export async function entryOf(
  host: string,
  repo: string,
  tag: string,
  architecture: string,
): Promise<IndexEntry> {
  const res = await fetch(`http://${host}/v2/${repo}/manifests/${tag}`, {
    headers: { accept: OCI_MANIFEST },
  });
  assert.equal(res.status, 200, `${repo}:${tag}`);
  const bytes = Buffer.from(await res.arrayBuffer());
  const digest = res.headers.get('docker-content-digest')!;
  return {
    mediaType: OCI_MANIFEST,
    digest,
    size: bytes.length,
    platform: { os: 'linux', architecture },
  };
}

/** Put `bytes` as a manifest under `reference`; the digest the registry says it stored. */
export async function putManifest(
  host: string,
  repo: string,
  reference: string,
  mediaType: string,
  bytes: Buffer,
): Promise<string> {
  const put = await fetch(`http://${host}/v2/${repo}/manifests/${reference}`, {
    method: 'PUT',
    headers: { 'content-type': mediaType },
    body: bytes,
  });
  assert.equal(put.status, 201, `PUT ${repo} manifest ${reference}: ${await put.text()}`);
  return put.headers.get('docker-content-digest')!;
}

/** Put an OCI index of `entries` under `repo:tag`; its digest. */
export async function putIndex(
  host: string,
  repo: string,
  tag: string,
  entries: readonly IndexEntry[],
): Promise<string> {
  const body = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: entries }),
  );
  return putManifest(host, repo, tag, OCI_INDEX, body);
}

/** Upload `bytes` as a blob of `repo` (one POST, one PUT); its descriptor fields. */
export async function putBlob(
  host: string,
  repo: string,
  bytes: Buffer,
): Promise<{ digest: string; size: number }> {
  const digest = sha256(bytes);
  const start = await fetch(`http://${host}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  assert.equal(start.status, 202);
  const location = new URL(start.headers.get('location')!, `http://${host}`);
  location.searchParams.set('digest', digest);
  const put = await fetch(location, {
    method: 'PUT',
    headers: { 'content-type': 'application/octet-stream' },
    body: bytes,
  });
  assert.equal(put.status, 201, `PUT blob: ${await put.text()}`);
  return { digest, size: bytes.length };
}

/**
 * An attestation manifest for `subject` as buildx makes one (an OCI image manifest, an
 * `unknown/unknown` config, one in-toto statement layer), put in `repo` by digest; its index entry.
 */
export async function putAttestation(
  host: string,
  repo: string,
  subject: string,
): Promise<IndexEntry> {
  const statement = Buffer.from(
    JSON.stringify({
      _type: 'https://in-toto.io/Statement/v0.1',
      predicateType: 'https://spdx.dev/Document',
      subject: [{ name: 'pkg:docker/app', digest: { sha256: subject.slice('sha256:'.length) } }],
      predicate: { spdxVersion: 'SPDX-2.3', name: 'sbom' },
    }),
  );
  const layer = await putBlob(host, repo, statement);
  const config = await putBlob(
    host,
    repo,
    Buffer.from(
      JSON.stringify({
        architecture: 'unknown',
        os: 'unknown',
        config: {},
        rootfs: { type: 'layers', diff_ids: [layer.digest] },
      }),
    ),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: [
        {
          mediaType: 'application/vnd.in-toto+json',
          ...layer,
          annotations: { 'in-toto.io/predicate-type': 'https://spdx.dev/Document' },
        },
      ],
    }),
  );
  const digest = await putManifest(host, repo, sha256(manifest), OCI_MANIFEST, manifest);
  return {
    mediaType: OCI_MANIFEST,
    digest,
    size: manifest.length,
    platform: { os: 'unknown', architecture: 'unknown' },
    annotations: {
      'vnd.docker.reference.digest': subject,
      'vnd.docker.reference.type': 'attestation-manifest',
    },
  };
}
