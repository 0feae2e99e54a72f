/**
 * Byte strings: tar text (names, link targets, user names, PAX keys) is bytes, not UTF-8. shale
 * carries it as JavaScript strings with one char per byte (latin1), which round-trips any byte
 * sequence exactly, compares cheaply, and hashes back to the original bytes.
 */

/** A string in which each char code (0–255) is one byte of the original text. */
export type ByteString = string;

export function toByteString(bytes: Uint8Array): ByteString {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

export function byteStringToBuffer(text: ByteString): Buffer {
  return Buffer.from(text, 'latin1');
}

/** A byte string from ordinary (UTF-8) text, e.g. a file name typed by a user. */
export function utf8ToByteString(text: string): ByteString {
  return Buffer.from(text, 'utf8').toString('latin1');
}

/** Best-effort display form: UTF-8 where the bytes are valid UTF-8, U+FFFD elsewhere. */
export function byteStringToDisplay(text: ByteString): string {
  return Buffer.from(text, 'latin1').toString('utf8');
}

/**
 * The bytes of `field` (or of its bytes from `start` to `end`, read in place) up to, not
 * including, the first NUL, as a byte string.
 */
export function cString(field: Uint8Array, start = 0, end = field.length): ByteString {
  let nul = start;
  while (nul < end && field[nul] !== 0) nul++;
  if (nul === start) return '';
  return Buffer.isBuffer(field)
    ? field.toString('latin1', start, nul)
    : Buffer.from(field.buffer, field.byteOffset + start, nul - start).toString('latin1');
}
