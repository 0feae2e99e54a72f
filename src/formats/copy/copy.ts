/**
 * `copy`: an image from one endpoint to another without staging it anywhere. The plan (plan.ts)
 * is read first; then each distinct blob, several at once, is skipped when the destination has it,
 * mounted when source and destination are repositories of one registry, or streamed from the
 * source into the sink, verified on the way (verify.ts); then the child manifests by digest and
 * the top manifest (or index) last, byte for byte, so every digest stays the source's. With
 * referrers (the default), the artifacts attached to the copied manifests (referrers-plan.ts) are
 * read with the plan, their blobs sent with the image's, and their manifests put after it, each
 * listed at the destination as a referrer of its subject.
 */
import type { Digest } from '../../core/digest.ts';
import { ShaleError } from '../../core/errors.ts';
import type { Platform } from '../../core/manifest.ts';
import type { ProgressListener } from '../../registry/index.ts';
import { runPool } from '../../registry/pool.ts';
import { planCopy } from './plan.ts';
import { planReferrers } from './referrers-plan.ts';
import type { Descriptor, ImageSink, ImageSource } from './seam.ts';
import { verifiedStream } from './verify.ts';

export interface TransferOptions {
  /** Copy only this platform's manifest of an index (it becomes the top); default: the whole index. */
  platform?: Platform;
  /**
   * Carry the artifacts that refer to the copied manifests, and their referrers (default true);
   * a destination that cannot list referrers (an archive) gets none.
   */
  withReferrers?: boolean;
  /** Blobs in flight at once (default 3). */
  concurrency?: number;
  onProgress?: ProgressListener;
  signal?: AbortSignal;
}

export interface TransferResult {
  /** The destination as the output names it, and the digest of the manifest (or index) put there. */
  destination: string;
  digest: Digest;
  mediaType: string;
  size: number;
  /** Blobs streamed from the source, mounted within the registry, and already at the destination. */
  blobs: { copied: number; mounted: number; existed: number };
  /** Bytes streamed from source to destination. */
  bytes: number;
  /** Referring artifacts carried (put at the destination and listed there as referrers). */
  referrers: number;
  /** What was copied, in words. */
  summary: string;
}

/** Progress is reported every this many bytes of a blob (and at its end). */
const PROGRESS_STEP_BYTES = 1 << 20;

/** Copy the image `source` names to `sink`. */
export async function transferImage(
  source: ImageSource,
  sink: ImageSink,
  options: TransferOptions = {},
): Promise<TransferResult> {
  const { signal } = options;
  const plan = await planCopy(source, options.platform, signal);
  if (sink.holdsOneImage && plan.children.length > 0) {
    throw new ShaleError(
      'ERR_INVALID_ARGUMENT',
      `${source.name} is an index of several platforms and ${sink.name} holds one image: choose it with --platform OS/ARCH[/VARIANT]`,
    );
  }
  const putReferrer = options.withReferrers === false ? undefined : sink.putReferrer?.bind(sink);
  const subjects = [plan.top, ...plan.children].map((m) => m.descriptor.digest);
  const carried = putReferrer
    ? await planReferrers(source, subjects, signal)
    : { artifacts: [], blobs: [] };
  const blobs = [...new Map([...plan.blobs, ...carried.blobs].map((b) => [b.digest, b])).values()];
  const tally = { copied: 0, mounted: 0, existed: 0, bytes: 0 };
  for (const { digest } of blobs)
    options.onProgress?.({ type: 'layer', digest, status: 'waiting' });
  await runPool(blobs.length, options.concurrency ?? 3, async (i) => {
    const outcome = await copyBlob(source, sink, blobs[i]!, options);
    tally[outcome]++;
    if (outcome === 'copied') tally.bytes += blobs[i]!.size;
  });
  for (const child of plan.children)
    await sink.putManifest(child.descriptor, child.bytes, false, signal);
  await sink.putManifest(plan.top.descriptor, plan.top.bytes, true, signal);
  for (const { descriptor, bytes } of carried.artifacts)
    await putReferrer?.(descriptor, bytes, signal);
  const { copied, mounted, existed, bytes } = tally;
  const referrers = carried.artifacts.length;
  return {
    destination: sink.name,
    ...plan.top.descriptor,
    blobs: { copied, mounted, existed },
    bytes,
    referrers,
    summary:
      referrers === 0
        ? plan.summary
        : `${plan.summary} and ${referrers} referring artifact${referrers === 1 ? '' : 's'}`,
  };
}

async function copyBlob(
  source: ImageSource,
  sink: ImageSink,
  blob: Descriptor,
  options: TransferOptions,
): Promise<'copied' | 'mounted' | 'existed'> {
  const { digest, size } = blob;
  const { signal, onProgress } = options;
  if (await sink.hasBlob(blob, signal)) {
    onProgress?.({ type: 'layer', digest, status: 'exists' });
    return 'existed';
  }
  if (await sink.mountBlob(blob, source, signal)) {
    onProgress?.({ type: 'layer', digest, status: 'mounted', from: source.repository?.path });
    return 'mounted';
  }
  let reported = -Infinity;
  const progress = (current: number) => {
    if (current - reported < PROGRESS_STEP_BYTES && current !== size) return;
    reported = current;
    onProgress?.({ type: 'layer', digest, status: 'pushing', current, total: size });
  };
  progress(0);
  const open = () => {
    reported = -Infinity;
    return verifiedStream(() => source.openBlob(blob, signal), blob, source.name, progress);
  };
  await sink.writeBlob(blob, open, signal);
  onProgress?.({ type: 'layer', digest, status: 'done' });
  return 'copied';
}
