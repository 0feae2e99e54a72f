/**
 * Small pieces gathered into larger chunks: a reassembled tar is mostly 512-byte headers and small
 * bodies, and a consumer that writes each chunk (the store's ingest) would make a system call for
 * each. Pieces are copied into a fresh buffer of `size` bytes, yielded when the next would not
 * fit; a piece of a quarter of that or more is yielded as it is, after what was gathered.
 */

export async function* coalesce(
  pieces: AsyncIterable<Buffer>,
  size = 1 << 20,
): AsyncGenerator<Buffer> {
  let buffer = Buffer.allocUnsafe(size);
  let used = 0;
  const gathered = () => {
    const out = buffer.subarray(0, used);
    buffer = Buffer.allocUnsafe(size);
    used = 0;
    return out;
  };
  for await (const piece of pieces) {
    if (used > 0 && (piece.length >= size / 4 || used + piece.length > size)) yield gathered();
    if (piece.length >= size / 4) {
      yield piece;
    } else {
      piece.copy(buffer, used);
      used += piece.length;
    }
  }
  if (used > 0) yield gathered();
}
