/**
 * What a blob GET's answer says about its body, checked against what was asked: a 200 carries
 * the whole blob (its `Content-Length`, when given, must be the manifest's size); a 206 must
 * carry exactly the range asked for (`Content-Range: bytes <offset>-<last>/<size>`, the last byte
 * asked for, or the blob's). An answer that
 * contradicts the request or the manifest is an error, never a reason to guess, and its body is
 * let go unread.
 */
import type { Digest } from '../../core/digest.ts';
import { ShaleError } from '../../core/errors.ts';
import type { BlobStream } from '../repository.ts';

export interface BlobRequest {
  /** `host/path`, for messages. */
  readonly from: string;
  readonly digest: Digest;
  /** The size the manifest states. */
  readonly size: number;
  /** The offset asked for (`Range: bytes=<offset>-`; 0: no Range). */
  readonly offset: number;
  /** Where the range asked for ends (exclusive; default: the blob's end). */
  readonly end?: number;
}

const CONTENT_RANGE = /^bytes (\d+)-(\d+)\/(\d+|\*)$/;

/**
 * Where the body of `answer` starts in the blob: `request.offset`, or 0 for a whole blob. An
 * answer refused is discarded first.
 */
export function bodyStart(answer: BlobStream, request: BlobRequest): number {
  try {
    return checkedStart(answer, request);
  } catch (err) {
    discardAnswer(answer);
    throw err;
  }
}

/** Let go of an answer whose body will not be read, so its connection is not left waiting. */
export function discardAnswer(answer: BlobStream): void {
  // undici reports the abort of a body nobody reads as an error of its own: not this caller's.
  answer.body.once('error', () => undefined);
  answer.body.destroy();
}

function checkedStart(answer: BlobStream, request: BlobRequest): number {
  const { from, digest, size, offset } = request;
  const last = (request.end ?? size) - 1;
  const length = answer.contentLength === undefined ? undefined : Number(answer.contentLength);
  if (answer.status === 200) {
    if (length !== undefined && length !== size) {
      throw new ShaleError(
        'ERR_SIZE_MISMATCH',
        `${from} sends blob ${digest} as ${length} bytes, but the manifest says ${size}`,
      );
    }
    return 0;
  }
  const range = CONTENT_RANGE.exec(answer.contentRange?.trim() ?? '');
  const start = Number(range?.[1]);
  const end = Number(range?.[2]);
  const total = range?.[3] === '*' ? size : Number(range?.[3]);
  const fits =
    answer.status === 206 &&
    range !== null &&
    start === offset &&
    end >= start &&
    (request.end === undefined ? end < size : end === last) &&
    total === size &&
    (length === undefined || length === end - start + 1);
  if (!fits) {
    const said =
      answer.status === 206
        ? `206 with Content-Range ${JSON.stringify(answer.contentRange ?? '')}${length === undefined ? '' : ` and Content-Length ${length}`}`
        : `HTTP ${answer.status}`;
    const asked = request.end === undefined ? `${offset}-` : `${offset}-${last}`;
    throw new ShaleError(
      'ERR_REGISTRY',
      `${from} answered ${said} to a request for bytes ${asked} of blob ${digest} (${size} bytes); refusing it`,
    );
  }
  return start;
}
