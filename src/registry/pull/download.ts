/**
 * Downloading one blob: into a resumable partial in the store's ingest area, continuing with
 * `Range` from what earlier attempts (or killed processes) left, retried with jittered backoff on
 * network failures, and hashed twice as it arrives — the blob digest, and for layers the DiffID
 * of the decompressed stream. Nothing becomes visible in the store here; the caller commits.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { DiffIdSink, type DiffIdResult } from '../../archive/diffid.ts';
import { isShaleError } from '../../core/errors.ts';
import type { Digest } from '../../core/digest.ts';
import type { PartialBlob, Store } from '../../store/index.ts';
import type { ProgressListener } from '../progress.ts';
import type { RemoteRepository } from '../repository.ts';
import { isTransientNetworkError } from '../transport/retry-policy.ts';

export interface DownloadOptions {
  /** Compute the DiffID of the decompressed bytes too (layers). */
  diffId?: boolean;
  /** Attempts per blob, counting resumptions after a broken connection (default 5). */
  attempts?: number;
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
  const attempts = options.attempts ?? 5;
  let sink = options.diffId ? new DiffIdSink(options.signal) : undefined;
  const partial = await store.content.openPartial(
    { digest, size },
    { signal: options.signal, onBytes: (chunk) => sink?.write(chunk) },
  );
  if (partial.offset === 0 && (await store.content.has(digest))) {
    sink?.destroy();
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
    });
  };
  try {
    for (let attempt = 1; !partial.complete; attempt++) {
      try {
        const response = await repo.getBlob(digest, partial.offset, options.signal);
        if (response.offset !== partial.offset) {
          await partial.restart(); // the registry sent the whole blob instead of the range
          reported = -Infinity;
          sink?.destroy();
          sink = options.diffId ? new DiffIdSink(options.signal) : undefined;
        }
        report();
        await partial.append(countBytes(response.body, (n) => ((fetched += n), report())));
      } catch (err) {
        if (attempt >= attempts || !transient(err)) throw err;
        await sleep(Math.min(200 * 2 ** attempt, 5000) * (0.5 + Math.random()), undefined, {
          signal: options.signal,
        });
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

async function* countBytes(
  source: AsyncIterable<Uint8Array>,
  onChunk: (bytes: number) => void,
): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    yield chunk;
    onChunk(chunk.length);
  }
}
