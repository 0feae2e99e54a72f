/**
 * Which attached artifacts a copy carries, read from the source before anything is written: the
 * referrers of each copied manifest, then the referrers of those (a signature of an SBOM), breadth
 * first. Each artifact manifest is read whole, verified against its listed descriptor and checked
 * to be an OCI image manifest whose subject is the manifest it was listed for. The walk is bounded
 * by constants (depth, count, manifest bytes) that nothing read can change; going past one is an
 * error, never a silent cut. Each digest is carried once, however often it is listed.
 */
import type { Digest } from '../../core/digest.ts';
import { ShaleError } from '../../core/errors.ts';
import { checkArtifact } from '../push/attach.ts';
import { blobsOf } from './plan.ts';
import type { Descriptor, ImageSource, ReferrerDescriptor } from './seam.ts';
import { verifyBytes } from './verify.ts';

/** Referrers of referrers followed at most this deep (1: only the image's own). */
export const MAX_REFERRER_DEPTH = 8;
/** Artifacts carried by one copy at most. */
export const MAX_REFERRERS_CARRIED = 1000;
/** Bytes of artifact manifests one copy holds at most. */
export const MAX_REFERRER_MANIFEST_BYTES = 64 << 20;

export interface CarriedArtifact {
  descriptor: ReferrerDescriptor;
  bytes: Buffer;
}

export interface ReferrersPlan {
  /** The artifacts, each after the manifest it refers to: put in this order. */
  artifacts: CarriedArtifact[];
  /** The configs and layers of the artifacts, each digest once. */
  blobs: Descriptor[];
}

function tooMany(what: string): ShaleError {
  return new ShaleError(
    'ERR_LIMIT',
    `${what}; refusing to carry them (copy without referrers to copy the image alone)`,
  );
}

/**
 * The artifacts that refer to `subjects` at `source`, and to those artifacts, bounded; none from
 * a source that cannot hold referrers.
 */
export async function planReferrers(
  source: ImageSource,
  subjects: readonly Digest[],
  signal?: AbortSignal,
): Promise<ReferrersPlan> {
  if (source.listReferrers === undefined) return { artifacts: [], blobs: [] };
  const artifacts: CarriedArtifact[] = [];
  const seen = new Set<Digest>(subjects);
  let level = [...seen];
  let bytesHeld = 0;
  for (let depth = 1; level.length > 0; depth++) {
    const next: Digest[] = [];
    for (const subject of level) {
      const listed = await source.listReferrers(subject, signal);
      const fresh = listed.filter((d) => !seen.has(d.digest));
      if (fresh.length === 0) continue;
      if (depth > MAX_REFERRER_DEPTH)
        throw tooMany(`${source.name} has referrers more than ${MAX_REFERRER_DEPTH} deep`);
      for (const descriptor of fresh) {
        if (seen.has(descriptor.digest)) continue;
        seen.add(descriptor.digest);
        bytesHeld += descriptor.size;
        if (artifacts.length >= MAX_REFERRERS_CARRIED || bytesHeld > MAX_REFERRER_MANIFEST_BYTES)
          throw tooMany(
            `${source.name} has more than ${MAX_REFERRERS_CARRIED} referring artifacts or ${MAX_REFERRER_MANIFEST_BYTES} bytes of their manifests`,
          );
        artifacts.push(await fetchArtifact(source, subject, descriptor, signal));
        next.push(descriptor.digest);
      }
    }
    level = next;
  }
  return { artifacts, blobs: blobsOf(artifacts.map((a) => a.bytes)) };
}

async function fetchArtifact(
  source: ImageSource,
  subject: Digest,
  descriptor: ReferrerDescriptor,
  signal?: AbortSignal,
): Promise<CarriedArtifact> {
  const what = `${source.name}: referrer ${descriptor.digest} of ${subject}`;
  const bytes = await source.readManifest(descriptor, signal);
  verifyBytes(bytes, descriptor, source.name);
  let checked: ReturnType<typeof checkArtifact>;
  try {
    checked = checkArtifact(bytes, descriptor.digest);
  } catch (err) {
    if (err instanceof ShaleError) throw new ShaleError(err.code, `${what}: ${err.message}`);
    throw err;
  }
  if (checked.subject !== subject)
    throw new ShaleError(
      'ERR_INVALID_ARGUMENT',
      `${what} names another subject, ${checked.subject}`,
    );
  return { descriptor, bytes };
}
