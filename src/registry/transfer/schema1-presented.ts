/**
 * A schema1 image as a copy sends it: the OCI manifest that `pull` then `push` of it would send
 * (the config made from its v1 history as Docker makes it, spec §4.4, so the image ID is the one a
 * pull gives; its non-throwaway layers, base first, as the same blobs — but for an uncompressed
 * one, which push would gzip into a new blob: a copy keeps blobs as they are). Schema1 states neither
 * DiffIDs nor sizes, so each distinct layer is read once here — its size asked first, its bytes
 * verified against its digest while their decompressed form is hashed — and read again when it is
 * sent, verified again: both reads are of the same bytes, so the config names what is sent.
 */
import type { Readable } from 'node:stream';
import { computeDiffId, type DiffIdResult } from '../../archive/diffid.ts';
import { asDigest, type Digest } from '../../core/digest.ts';
import { ShaleError } from '../../core/errors.ts';
import { ociManifestBytes } from '../../core/manifest.ts';
import { MediaTypes, ociLayerMediaType } from '../../core/media-types.ts';
import { schema1ImageConfig, schema1LayersToFetch } from '../../legacy/index.ts';
import { checkLayerCount } from '../pull/limits.ts';
import { checkedSchema1 } from '../pull/resolve.ts';
import type { Descriptor, ResolvedManifest } from './seam.ts';
import { isDamage, sha256Of, verifiedStream } from './verify.ts';

/** How the schema1 source reads a layer: its size, then its bytes (unverified). */
export interface Schema1Layers {
  sizeOf(digest: Digest, signal?: AbortSignal): Promise<number>;
  open(descriptor: Descriptor, signal?: AbortSignal): Promise<Readable>;
  /** The bytes last read failed their check: true when the next read is from elsewhere. */
  servedDamaged(descriptor: Descriptor, failure: unknown): boolean;
}

export interface PresentedSchema1 {
  /** The OCI manifest sent in place of the schema1 one. */
  resolved: ResolvedManifest;
  /** Its config, which no registry holds yet: the source serves it from here. */
  config: { digest: Digest; bytes: Buffer };
}

/**
 * The schema1 manifest `bytes` that `name` (`host/path`, `path`, `reference`: a tag or the
 * digest it was asked by) served, checked as a pull checks it, presented as its OCI manifest.
 */
export async function presentSchema1(
  bytes: Buffer,
  name: { display: string; path: string; reference: string; digest?: Digest },
  layers: Schema1Layers,
  signal?: AbortSignal,
): Promise<PresentedSchema1> {
  const { manifest } = checkedSchema1(bytes, name.path, name.reference, name.digest);
  const blobSums = schema1LayersToFetch(manifest).map(asDigest);
  checkLayerCount(blobSums.length, `${name.display} (schema1)`);
  const read = new Map<Digest, { descriptor: Descriptor; diffId: Digest }>();
  for (const digest of blobSums) {
    if (!read.has(digest)) read.set(digest, await readLayer(digest, name.display, layers, signal));
  }
  const diffIds = blobSums.map((digest) => read.get(digest)!.diffId);
  const config = Buffer.from(schema1ImageConfig(manifest, diffIds));
  const configDigest = sha256Of(config);
  const descriptors = blobSums.map((digest) => read.get(digest)!.descriptor);
  return {
    resolved: {
      mediaType: MediaTypes.ociManifest,
      bytes: ociManifestBytes({ digest: configDigest, size: config.length }, descriptors),
    },
    config: { digest: configDigest, bytes: config },
  };
}

/**
 * A layer's descriptor and DiffID, from one verified read of it; read again from the next
 * endpoint when one served it damaged (bounded by the endpoints: each is passed over once).
 */
async function readLayer(
  digest: Digest,
  from: string,
  layers: Schema1Layers,
  signal?: AbortSignal,
): Promise<{ descriptor: Descriptor; diffId: Digest }> {
  for (;;) {
    const size = await layers.sizeOf(digest, signal);
    const blob = { mediaType: MediaTypes.ociLayerGzip, digest, size };
    try {
      const stream = verifiedStream(() => layers.open(blob, signal), blob, from);
      return described(blob, from, await computeDiffId(stream));
    } catch (err) {
      if (!(isDamage(err) && layers.servedDamaged(blob, err))) throw err;
    }
  }
}

function described(
  { digest, size }: Descriptor,
  from: string,
  { diffId, compression }: DiffIdResult,
): { descriptor: Descriptor; diffId: Digest } {
  const mediaType = ociLayerMediaType(compression);
  if (mediaType === undefined) {
    throw new ShaleError(
      'ERR_UNSUPPORTED',
      `${from}: schema1 layer ${digest} is ${compression}-compressed, which an OCI manifest cannot name`,
    );
  }
  return { descriptor: { mediaType, digest, size }, diffId };
}
