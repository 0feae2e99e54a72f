/**
 * What a blob GET's answer says about its body, checked against what was asked: a 200 carries
 * the whole blob (its `Content-Length`, when given, must be the manifest's size); a 206 must
 * carry exactly the range asked for (`Content-Range: bytes <offset>-<end>/<size>`). An answer that
 * contradicts the request or the manifest is an error, never a reason to guess.
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
}

const CONTENT_RANGE = /^bytes (\d+)-(\d+)\/(\d+|\*)$/;

/** Where the body of `answer` starts in the blob: `request.offset`, or 0 for a whole blob. */
export function bodyStart(answer: BlobStream, request: BlobRequest): number {
  const { from, digest, size, offset } = request;
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
    end < size &&
    total === size &&
    (length === undefined || length === end - start + 1);
  if (!fits) {
    const said =
      answer.status === 206
        ? `206 with Content-Range ${JSON.stringify(answer.contentRange ?? '')}${length === undefined ? '' : ` and Content-Length ${length}`}`
        : `HTTP ${answer.status}`;
    throw new ShaleError(
      'ERR_REGISTRY',
      `${from} answered ${said} to a request for bytes ${offset}- of blob ${digest} (${size} bytes); refusing it`,
    );
  }
  return start;
}
