/**
 * Legacy (Docker 1.x) image IDs: 64 lowercase hex characters (validated everywhere they are read:
 * CVE-2014-9358), and the probing rule used when a computed ID is taken by an image that does not
 * validate (spec §3.4): the next candidate is the SHA-256 of the current ID's hex text.
 */
import { createHash } from 'node:crypto';
import { ShaleError } from './errors.ts';

const LEGACY_ID = /^[a-f0-9]{64}$/;

export function isLegacyId(text: string): boolean {
  return LEGACY_ID.test(text);
}

/** Throw ERR_INVALID_ARGUMENT unless `text` is 64 lowercase hex; `what` names it. */
export function assertLegacyId(text: string, what: string): string {
  if (!LEGACY_ID.test(text)) {
    throw new ShaleError(
      'ERR_INVALID_ARGUMENT',
      `invalid ${what} ${JSON.stringify(text)}: expected 64 lowercase hex characters`,
    );
  }
  return text;
}

/** The next ID to try after `id` (hex of SHA-256 over the 64 ASCII hex characters). */
export function nextProbeId(id: string): string {
  assertLegacyId(id, 'image ID');
  return createHash('sha256').update(id, 'latin1').digest('hex');
}
