/**
 * Resumable chunked upload of one blob: `PATCH` chunks with `Content-Range` to the session's
 * latest `Location`, each confirmed by the registry's `Range: 0-N`, then `PUT ?digest=` with no
 * body. The session (Location, confirmed bytes) is remembered in the store after every chunk, so
 * a push cut short by a network error or a kill continues from what `GET <location>` says the
 * registry holds; a session the registry no longer knows (404) starts over. Every loop is
 * bounded: chunks by the blob's size, recoveries by the retry policy's attempts, and a registry
 * that confirms other bytes than were sent is an error, never a reason to send them again.
 */
import type { Readable } from 'node:stream';
import type { Digest } from '../../core/digest.ts';
import { isShaleError, ShaleError } from '../../core/errors.ts';
import type { UploadSessions } from '../../store/index.ts';
import { RegistryError } from '../errors.ts';
import type { RemoteRepository, UploadState } from '../repository.ts';
import { pauseBeforeRetry } from '../transport/network-error.ts';
import { isTransientNetworkError, isTransientStatus } from '../transport/retry-policy.ts';

export interface ChunkedBlob {
  digest: Digest;
  size: number;
  /** The blob's bytes `start`…`end - 1`. */
  open(start: number, end: number): Readable;
}

export interface ChunkedUploadOptions {
  chunkSize: number;
  /** Bytes the registry holds or is receiving, resumed ones included. */
  onProgress: (sent: number) => void;
  signal?: AbortSignal;
}

/** Upload `blob` to `repo` in chunks, resuming the session `sessions` remembers for it. */
export async function uploadInChunks(
  repo: RemoteRepository,
  sessions: UploadSessions,
  blob: ChunkedBlob,
  options: ChunkedUploadOptions,
): Promise<void> {
  const { digest, size } = blob;
  const { chunkSize, onProgress } = options;
  const repository = repo.displayName;
  const budget = repo.budget(options.signal);
  const { signal } = budget;
  const remember = (state: UploadState) => sessions.set({ digest, repository, ...state });

  let state = await resumeOrStart(repo, sessions, blob, signal);
  await remember(state);
  onProgress(state.confirmed);
  // Each answered PATCH confirms one more chunk and recoveries are bounded by the budget, so this
  // bound (every recovery starting over) is never reached by a registry that keeps its word.
  const maxPatches = Math.ceil(size / chunkSize) * (budget.policy.maxAttempts + 1);
  for (let patches = 0; state.confirmed < size; patches++) {
    if (patches >= maxPatches) {
      throw new ShaleError(
        'ERR_REGISTRY',
        `${repository} had not confirmed blob ${digest} after ${patches} chunks`,
      );
    }
    const start = state.confirmed;
    const end = Math.min(size, start + chunkSize);
    try {
      const next = await repo.uploadChunk(
        state.location,
        start,
        end - start,
        () => blob.open(start, end),
        (sent) => onProgress(start + sent),
        signal,
      );
      if (next.confirmed !== end) {
        throw new ShaleError(
          'ERR_REGISTRY',
          `${repository} confirmed ${next.confirmed} bytes of blob ${digest} after bytes ${start}-${end - 1} were sent, not ${end} — the registry lost part of the upload; try again`,
        );
      }
      state = next;
    } catch (err) {
      if (!recoverable(err) || budget.exhausted || signal.aborted) throw err;
      budget.begin();
      await pauseBeforeRetry(budget, state.location);
      state = await statusOrRestart(repo, state.location, blob, end, signal);
    }
    await remember(state);
    onProgress(state.confirmed);
  }
  try {
    await repo.commitUpload(state.location, digest, signal);
  } catch (err) {
    // The PUT may have landed and only its answer been lost; a refused upload is forgotten.
    if (!signal.aborted && (await repo.hasBlob(digest, signal).catch(() => false))) {
      await sessions.delete(digest, repository);
      return;
    }
    if (err instanceof RegistryError && !isTransientStatus(err.status)) {
      await sessions.delete(digest, repository);
      // The bytes sent were not the blob: what the transfer reads as a source's damage.
      if (err.registryCode === 'DIGEST_INVALID')
        throw new ShaleError(
          'ERR_DIGEST_MISMATCH',
          `${repository} refused blob ${digest}: the bytes sent in chunks do not hash to it`,
          { cause: err },
        );
    }
    throw err;
  }
  await sessions.delete(digest, repository);
}

/** The remembered session where the registry still holds it, else a fresh one. */
async function resumeOrStart(
  repo: RemoteRepository,
  sessions: UploadSessions,
  blob: ChunkedBlob,
  signal: AbortSignal,
): Promise<UploadState> {
  const remembered = await sessions.get(blob.digest, repo.displayName);
  if (remembered === undefined) return repo.startUpload(signal);
  return statusOrRestart(repo, remembered.location, blob, blob.size, signal);
}

/**
 * Where the session at `location` stands (at most `sent` bytes, the most sent so far), or a
 * fresh session when the registry no longer knows it.
 */
async function statusOrRestart(
  repo: RemoteRepository,
  location: string,
  blob: ChunkedBlob,
  sent: number,
  signal: AbortSignal,
): Promise<UploadState> {
  const status = await repo.uploadStatus(location, signal);
  if (status === undefined) return repo.startUpload(signal);
  if (status.confirmed > sent) {
    throw new ShaleError(
      'ERR_REGISTRY',
      `${repo.displayName} claims ${status.confirmed} bytes of the upload of blob ${blob.digest}, but only ${sent} were sent`,
    );
  }
  return status;
}

/** Failures after which asking the registry where the upload stands may let it go on. */
function recoverable(err: unknown): boolean {
  if (err instanceof RegistryError) return isTransientStatus(err.status) || err.status === 404;
  // A source that ended a chunk's bytes early (ERR_NETWORK) is read again too.
  return isTransientNetworkError(err) || isShaleError(err, 'ERR_NETWORK');
}
