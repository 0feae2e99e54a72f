/**
 * A transfer (`copy`, and every `push`): an image from a source to a sink without staging it
 * anywhere. The plan (plan.ts) is read first; then each distinct blob, several at once, is skipped
 * when the destination has it, mounted from a repository the source knows to hold it on the
 * destination's registry, or streamed from the source into the sink, verified on the way
 * (verify.ts); bytes that fail are read again from the source's next endpoint (a registry's
 * mirror passed over) when the sink keeps nothing of a failed write. A registry checks every
 * blob's digest itself: fed from a source that can say afterwards whether its copy is damaged
 * (the store), or by ranges for resumable chunks, only the size is checked here; a failed write
 * asks the source whether its copy is damaged. Then the child
 * manifests by digest and the top manifest (or index) last, byte for byte, so every digest stays
 * the source's. With referrers (the default), the artifacts attached to the copied manifests
 * (referrers-plan.ts) are read with the plan, their blobs sent with the image's, and their
 * manifests put after it, each listed at the destination as a referrer of its subject.
 */
import type { Digest } from '../../core/digest.ts';
import { ShaleError } from '../../core/errors.ts';
import type { Platform } from '../../core/manifest.ts';
import type { ProgressListener, TransferEvent } from '../progress.ts';
import { runPool } from '../pool.ts';
import { planCopy } from './plan.ts';
import { planReferrers } from './referrers-plan.ts';
import type { Descriptor, ImageSink, ImageSource } from './seam.ts';
import { isDamage, verifiedStream } from './verify.ts';

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
  if (plan.nestedIndex !== undefined && !sink.holdsNestedIndexes) {
    throw new ShaleError(
      'ERR_UNSUPPORTED',
      `${source.name} lists index ${plan.nestedIndex} within its index, and ${sink.name} keeps indexes of image manifests only: choose one platform with --platform OS/ARCH[/VARIANT]`,
    );
  }
  const putReferrer = options.withReferrers === false ? undefined : sink.putReferrer?.bind(sink);
  const subjects = [plan.top, ...plan.children].map((m) => m.descriptor.digest);
  const carried = putReferrer
    ? await planReferrers(source, subjects, signal)
    : { artifacts: [], blobs: [] };
  const blobs = [...new Map([...plan.blobs, ...carried.blobs].map((b) => [b.digest, b])).values()];
  const tally = { copied: 0, mounted: 0, existed: 0, bytes: 0 };
  const diffIds = (await source.layerDiffIds?.(signal)) ?? new Map<Digest, Digest>();
  const progressOf = (blob: Descriptor): BlobProgress => {
    const diffId = diffIds.get(blob.digest);
    return (event) =>
      options.onProgress?.({
        type: 'layer',
        digest: blob.digest,
        ...event,
        ...(diffId && { diffId }),
      });
  };
  for (const blob of blobs) progressOf(blob)({ status: 'waiting' });
  await runPool(blobs.length, options.concurrency ?? 3, async (i) => {
    const outcome = await copyBlob(source, sink, blobs[i]!, progressOf(blobs[i]!), signal);
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

/** Reports one blob's progress (its digest, and DiffID when known, added). */
type BlobProgress = (event: Omit<TransferEvent & { type: 'layer' }, 'type' | 'digest'>) => void;

async function copyBlob(
  source: ImageSource,
  sink: ImageSink,
  blob: Descriptor,
  progress: BlobProgress,
  signal?: AbortSignal,
): Promise<'copied' | 'mounted' | 'existed'> {
  const { size } = blob;
  if (await sink.hasBlob(blob, signal)) {
    progress({ status: 'exists' });
    return 'existed';
  }
  const candidates = sink.mountBlob && (await source.mountSources?.(blob));
  const mounted = candidates?.length ? await sink.mountBlob?.(blob, candidates, signal) : undefined;
  if (mounted) {
    progress({ status: 'mounted', from: mounted.path });
    return 'mounted';
  }
  let reported = -Infinity;
  const onProgress = (current: number) => {
    if (current - reported < PROGRESS_STEP_BYTES && current !== size) return;
    reported = current;
    progress({ status: 'pushing', current, total: size });
  };
  onProgress(0);
  // When the bytes from the source fail their check, that is the error to report.
  let sourceFailure: unknown;
  const hashHere = !(sink.refusesWrongBlobs && source.checkBlob);
  const open = () => {
    reported = -Infinity;
    const from = () => source.openBlob(blob, signal);
    const stream = verifiedStream(from, blob, source.name, onProgress, hashHere);
    return stream.once('error', (err) => (sourceFailure ??= err));
  };
  const openRange =
    source.readsRangesOf?.(blob) === false ? undefined : source.openBlobRange?.bind(source, blob);
  const bytes = { open, onProgress, ...(openRange && { openRange }) };
  // Each failed attempt that is tried again passes over one of the source's endpoints: bounded.
  for (;;) {
    try {
      if ((await sink.writeBlob(blob, bytes, signal)) === 'existed') {
        progress({ status: 'exists' });
        return 'existed';
      }
      break;
    } catch (err) {
      // The source's own account of a damaged blob (the store's, with quarantine) comes first.
      if (!signal?.aborted) await source.checkBlob?.(blob);
      const failure = sourceFailure ?? err;
      sourceFailure = undefined;
      if (!(sink.rewritesBlobs && isDamage(failure) && source.servedDamaged?.(blob, failure)))
        throw failure;
    }
  }
  progress({ status: 'done' });
  return 'copied';
}
