/**
 * CRC-64 with the ISO polynomial as Go's hash/crc64 computes it (reflected, initial and final
 * value inverted; tar-split's file checksums, spec §2.2), in 32-bit halves with slicing-by-8
 * tables so bodies of many megabytes are checked at memory speed without BigInt: eight bytes at a
 * time, read as two little-endian words through an Int32Array view of the aligned middle of the
 * data (the bytes before and after it one at a time; all of them on a big-endian host).
 */

const ISO_REVERSED_HI = 0xd8000000; // 0xD800000000000000: the low half is zero

/**
 * The slicing tables in one array: `TABLES[k*256 + b]` is the high half of the CRC of byte b
 * followed by k zero bytes, `TABLES[LO + k*256 + b]` its low half.
 */
const LO = 8 * 256;
const TABLES = new Int32Array(2 * LO);
for (let b = 0; b < 256; b++) {
  let h = 0;
  let l = b;
  for (let bit = 0; bit < 8; bit++) {
    const carry = l & 1;
    l = (l >>> 1) | ((h & 1) << 31);
    h >>>= 1;
    if (carry) h ^= ISO_REVERSED_HI;
  }
  TABLES[b] = h;
  TABLES[LO + b] = l;
}
for (let k = 1; k < 8; k++) {
  for (let b = 0; b < 256; b++) {
    const h = TABLES[(k - 1) * 256 + b]!;
    const l = TABLES[LO + (k - 1) * 256 + b]!;
    const i = l & 0xff;
    TABLES[k * 256 + b] = (h >>> 8) ^ TABLES[i]!;
    TABLES[LO + k * 256 + b] = ((l >>> 8) | (h << 24)) ^ TABLES[LO + i]!;
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

const EMPTY_WORDS = new Int32Array(0);

/** An incremental CRC-64/ISO (Go's crc64.New(crc64.MakeTable(crc64.ISO))). */
export class Crc64 {
  // The running register, inverted, as two 32-bit halves.
  private hi = -1;
  private lo = -1;

  update(data: Uint8Array): this {
    const t = TABLES;
    let { hi, lo } = this;
    const byte = (i: number) => {
      const index = (lo ^ data[i]!) & 0xff;
      lo = ((lo >>> 8) | (hi << 24)) ^ t[LO + index]!;
      hi = (hi >>> 8) ^ t[index]!;
    };
    let i = 0;
    for (; i < data.length && ((data.byteOffset + i) & 3) !== 0; i++) byte(i);
    const pairs = LITTLE_ENDIAN ? (data.length - i) >>> 3 : 0;
    // (no view when there are no whole words: a view must start at a multiple of 4)
    const words =
      pairs > 0 ? new Int32Array(data.buffer, data.byteOffset + i, pairs * 2) : EMPTY_WORDS;
    for (let w = 0; w < words.length; w += 2) {
      const a = lo ^ words[w]!;
      const b = hi ^ words[w + 1]!;
      hi =
        t[7 * 256 + (a & 0xff)]! ^
        t[6 * 256 + ((a >>> 8) & 0xff)]! ^
        t[5 * 256 + ((a >>> 16) & 0xff)]! ^
        t[4 * 256 + (a >>> 24)]! ^
        t[3 * 256 + (b & 0xff)]! ^
        t[2 * 256 + ((b >>> 8) & 0xff)]! ^
        t[256 + ((b >>> 16) & 0xff)]! ^
        t[b >>> 24]!;
      lo =
        t[LO + 7 * 256 + (a & 0xff)]! ^
        t[LO + 6 * 256 + ((a >>> 8) & 0xff)]! ^
        t[LO + 5 * 256 + ((a >>> 16) & 0xff)]! ^
        t[LO + 4 * 256 + (a >>> 24)]! ^
        t[LO + 3 * 256 + (b & 0xff)]! ^
        t[LO + 2 * 256 + ((b >>> 8) & 0xff)]! ^
        t[LO + 256 + ((b >>> 16) & 0xff)]! ^
        t[LO + (b >>> 24)]!;
    }
    for (i += pairs * 8; i < data.length; i++) byte(i);
    this.hi = hi;
    this.lo = lo;
    return this;
  }

  /** The checksum as Go's Sum appends it: 8 bytes, big-endian. */
  digest(): Buffer {
    const out = Buffer.alloc(8);
    out.writeUInt32BE(~this.hi >>> 0, 0);
    out.writeUInt32BE(~this.lo >>> 0, 4);
    return out;
  }
}
