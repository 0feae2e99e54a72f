/**
 * Downloading one blob: into a resumable partial in the store's ingest area, continuing with
 * `Range` from what earlier attempts (or killed processes) left, and hashed twice as it arrives —
 * the blob digest, and for layers the DiffID of the decompressed stream. Every connection for the
 * blob spends one RetryBudget (attempts and a deadline the registry cannot reset); an answer that
 * ends early is resumed, a 200 to a Range request restarts the partial from zero once, and an
 * answer that contradicts the request is an error (blob-answer.ts). Nothing becomes visible in
 * the store here; the caller commits. After another endpoint failed for the blob, the partial
 * starts over (`startOver`): nothing a failed endpoint sent is kept.
 */
import { countBytes } from '../../archive/count-bytes.ts';
import { DiffIdSink, type DiffIdResult } from '../../archive/diffid.ts';
import { ShaleError, isShaleError } from '../../core/errors.ts';
import type { Digest } from '../../core/digest.ts';
import type { PartialBlob, Store } from '../../store/index.ts';
import type { ProgressListener } from '../progress.ts';
import type { BlobStream, RemoteRepository } from '../repository.ts';
import type { PullEndpoints, Served } from './endpoints.ts';
import { budgetFailure, pauseBeforeRetry } from '../transport/network-error.ts';
import { isTransientNetworkError } from '../transport/retry-policy.ts';
import { bodyStart, discardAnswer, type BlobRequest } from './blob-answer.ts';

export interface DownloadOptions {
  /** Compute the DiffID of the decompressed bytes too (layers). */
  diffId?: boolean;
  /** Drop what the partial holds and download from zero. */
  startOver?: boolean;
  onProgress?: ProgressListener;
  signal?: AbortSignal;
}

export interface Downloaded {
  partial: PartialBlob;
  diffId?: DiffIdResult;
  /** Bytes this call received from the registry (less than the size when it resumed). */
  fetched: number;
}

/** Download progress is reported every this many bytes (and at the end). */
const PROGRESS_STEP_BYTES = 1 << 20;

/** A failure that another attempt may not repeat: the connection, not the content. */
function transient(err: unknown): boolean {
  return isShaleError(err) ? err.code === 'ERR_NETWORK' : isTransientNetworkError(err);
}

/**
 * Download `descriptor` into its partial; undefined when, by the time this process held the
 * partial, another process had finished the same blob and stored it.
 */
export async function downloadBlob(
  store: Store,
  repo: RemoteRepository,
  descriptor: { digest: Digest; size: number },
  options: DownloadOptions = {},
): Promise<Downloaded | undefined> {
  const { digest, size } = descriptor;
  const newSink = () =>
    options.diffId ? new DiffIdSink({ signal: options.signal, countContent: true }) : undefined;
  let sink = newSink();
  const partial = await store.content.openPartial(
    { digest, size },
    { signal: options.signal, onBytes: (chunk) => sink?.write(chunk) },
  );
  if (options.startOver && partial.offset > 0) {
    await partial.restart();
    sink?.destroy();
    sink = newSink();
  }
  if (partial.offset === 0 && (await store.content.has(digest))) {
    sink?.destroy();
    await partial.discard(); // the empty file this open created
    await partial.close();
    return undefined;
  }
  let fetched = 0;
  let reported = -Infinity;
  const report = (): void => {
    if (partial.offset - reported < PROGRESS_STEP_BYTES && !partial.complete) return;
    reported = partial.offset;
    options.onProgress?.({
      type: 'layer',
      digest,
      status: 'downloading',
      current: partial.offset,
      total: size,
      endpoint: repo.displayName,
    });
  };
  const budget = repo.budget(options.signal);
  let restarted = false;
  try {
    while (!partial.complete) {
      const request: BlobRequest = { from: repo.displayName, digest, size, offset: partial.offset };
      try {
        const answer = await repo.getBlob(digest, request.offset, budget);
        const restart = startsOver(answer, request, restarted);
        if (restart) {
          restarted = true;
          await partial.restart(); // the registry sent the whole blob instead of the range
          reported = -Infinity;
          sink?.destroy();
          sink = newSink();
        }
        report();
        await partial.append(countBytes(answer.body, (n) => ((fetched += n), report())));
        if (!partial.complete) throw endedEarly(request, partial.offset);
      } catch (err) {
        const retry = !budget.exhausted && transient(err);
        if (!retry || budget.signal.aborted) throw budgetFailure(repo.origin, err, budget);
        await pauseBeforeRetry(budget, repo.origin);
      }
    }
    options.onProgress?.({ type: 'layer', digest, status: 'verifying' });
    await partial.verify();
    return { partial, fetched, ...(sink && { diffId: await sink.end() }) };
  } catch (err) {
    sink?.destroy();
    await partial.close();
    throw err;
  }
}

/**
 * Download `blob` from the first of `endpoints` that serves it whole and verified (a blob size
 * the manifest does not state is asked for with HEAD); after an endpoint failed, the next one
 * starts the partial over.
 */
export async function downloadFromFirst(
  store: Store,
  endpoints: PullEndpoints,
  blob: { digest: Digest; size?: number | undefined },
  options: Omit<DownloadOptions, 'startOver'> = {},
): Promise<Served<Downloaded | undefined>> {
  const { digest } = blob;
  const { signal } = options;
  return endpoints.first(
    `blob ${digest}`,
    async (repo, afterFailure) => {
      const size = blob.size ?? (await repo.blobSize(digest, signal));
      return downloadBlob(store, repo, { digest, size }, { ...options, startOver: afterFailure });
    },
    signal,
  );
}

/**
 * True when `answer` starts the blob over (a 200 to a Range request): allowed once per download.
 * An answer that is refused has its body let go, so its connection is not left waiting.
 */
function startsOver(answer: BlobStream, request: BlobRequest, restarted: boolean): boolean {
  const over = bodyStart(answer, request) !== request.offset;
  if (over && restarted) {
    discardAnswer(answer);
    throw new ShaleError(
      'ERR_REGISTRY',
      `${request.from} ignores Range requests for blob ${request.digest} and its whole answers end before the ${request.size} bytes the manifest states`,
    );
  }
  return over;
}

/** An answer that ended cleanly but short: worth resuming, while the budget lasts. */
function endedEarly({ from, digest, size }: BlobRequest, at: number): ShaleError {
  return new ShaleError(
    'ERR_NETWORK',
    `${from} ended its answer for blob ${digest} at byte ${at} of ${size}`,
  );
}
