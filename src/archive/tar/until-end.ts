/**
 * One tar archive cut out of a byte stream that may go on forever (an `import` of /dev/zero, a
 * pipe): reading stops at the archive's end, as GNU tar stops at its end-of-archive marker. The
 * source's chunks are passed through unchanged up to the end of the 10 KiB record that holds the
 * marker (GNU tar's default record, to which GNU tar and bsdtar pad their archives, so an ordinary
 * archive file passes whole), and the source is never read past it.
 */
import { BLOCK_SIZE } from './block.ts';
import { TarParser } from './parser.ts';
import { asBuffer } from './reader.ts';

/** GNU tar's default record: 20 blocks. */
export const TAR_RECORD_SIZE = 20 * BLOCK_SIZE;

export interface TarEndInfo {
  /** Entries before the end (metadata headers not counted on their own). */
  entries: number;
  /** Bytes passed through. */
  bytes: number;
}

/**
 * The bytes of the tar archive at the start of `source`. Throws ERR_BAD_TAR as the parser does
 * (a truncated or malformed archive); `onEnd` learns how many entries it held.
 */
export async function* untilTarEnd(
  source: AsyncIterable<Uint8Array>,
  onEnd?: (info: TarEndInfo) => void,
): AsyncGenerator<Buffer> {
  let entries = 0;
  let cut: number | undefined;
  const parser = new TarParser({
    entry: () => void entries++,
    data: () => undefined,
    entryEnd: () => undefined,
    end: ({ offset }) => {
      cut = Math.ceil(offset / TAR_RECORD_SIZE) * TAR_RECORD_SIZE;
    },
  });
  let passed = 0;
  for await (const raw of source) {
    const chunk = asBuffer(raw);
    if (cut === undefined) parser.write(chunk);
    const piece = cut === undefined ? chunk : chunk.subarray(0, Math.max(0, cut - passed));
    passed += piece.length;
    if (piece.length > 0) yield piece;
    if (cut !== undefined && passed >= cut) break; // returns the source: nothing more is read
  }
  if (cut === undefined) parser.end();
  onEnd?.({ entries, bytes: passed });
}
