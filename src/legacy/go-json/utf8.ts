/**
 * Go's UTF-8 decoding rule (`utf8.DecodeRune`): a byte that does not start a valid, shortest-form,
 * non-surrogate sequence decodes to U+FFFD and consumes exactly one byte. (WHATWG's TextDecoder
 * replaces a whole "maximal subpart" instead, which yields fewer replacement characters.)
 */

/** The code point at `i` and its length in bytes; invalid input gives [0xfffd, 1]. */
export function decodeRuneAt(bytes: Uint8Array, i: number, end = bytes.length): [number, number] {
  const b0 = bytes[i]!;
  if (b0 < 0x80) return [b0, 1];
  const cont = (k: number, lo = 0x80, hi = 0xbf): number => {
    const b = i + k < end ? bytes[i + k]! : -1;
    return b >= lo && b <= hi ? b & 0x3f : -1;
  };
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    const c1 = cont(1);
    if (c1 >= 0) return [((b0 & 0x1f) << 6) | c1, 2];
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    const c1 = cont(1, b0 === 0xe0 ? 0xa0 : 0x80, b0 === 0xed ? 0x9f : 0xbf);
    const c2 = c1 >= 0 ? cont(2) : -1;
    if (c2 >= 0) return [((b0 & 0x0f) << 12) | (c1 << 6) | c2, 3];
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    const c1 = cont(1, b0 === 0xf0 ? 0x90 : 0x80, b0 === 0xf4 ? 0x8f : 0xbf);
    const c2 = c1 >= 0 ? cont(2) : -1;
    const c3 = c2 >= 0 ? cont(3) : -1;
    if (c3 >= 0) return [((b0 & 0x07) << 18) | (c1 << 12) | (c2 << 6) | c3, 4];
  }
  return [0xfffd, 1];
}
