/**
 * JOSE base64url as libtrust reads and writes it: no padding on output; on input, newlines and
 * spaces are ignored and padding is implied, and anything outside the URL-safe alphabet is an
 * error (Node's own decoder would silently skip it).
 */
import { ShaleError } from '../../core/errors.ts';

export function encodeBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/** Decode; `what` names the text in the error message. */
export function decodeBase64Url(text: string, what: string): Uint8Array {
  const compact = text.replace(/[\n ]/g, '');
  if (!/^[A-Za-z0-9_-]*$/.test(compact) || compact.length % 4 === 1) {
    throw new ShaleError('ERR_INVALID_ARGUMENT', `${what} is not valid base64url`);
  }
  return new Uint8Array(Buffer.from(compact, 'base64url'));
}
