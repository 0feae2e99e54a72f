/**
 * Incremental XXH64 (seed 0) for verifying zstd content checksums, which fzstd skips. 64-bit
 * values are hi/lo pairs of u32; helpers return through the module registers H and L so the hot
 * loop allocates nothing.
 */

// primes as [hi, lo]
const P1H = 0x9e3779b1,
  P1L = 0x85ebca87;
const P2H = 0xc2b2ae3d,
  P2L = 0x27d4eb4f;
const P3H = 0x165667b1,
  P3L = 0x9e3779f9;
const P4H = 0x85ebca77,
  P4L = 0xc2b2ae63;
const P5H = 0x27d4eb2f,
  P5L = 0x165667c5;

const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

let H = 0;
let L = 0;

/** (a * b) mod 2^64 into H, L. */
function mul(aH: number, aL: number, bH: number, bL: number): void {
  const a0 = aL & 0xffff;
  const a1 = aL >>> 16;
  const b0 = bL & 0xffff;
  const b1 = bL >>> 16;
  const mid = a1 * b0 + a0 * b1; // < 2^33, exact
  const lo = a0 * b0 + (mid & 0xffff) * 0x10000; // < 2^33
  L = lo >>> 0;
  H =
    (a1 * b1 +
      Math.floor(mid / 0x10000) +
      (lo > 0xffffffff ? 1 : 0) +
      Math.imul(aL, bH) +
      Math.imul(aH, bL)) >>>
    0;
}

/** (a + b) mod 2^64 into H, L. */
function add(aH: number, aL: number, bH: number, bL: number): void {
  const lo = aL + bL;
  L = lo >>> 0;
  H = (aH + bH + (lo > 0xffffffff ? 1 : 0)) >>> 0;
}

/** Rotate left by r (0 < r < 32) into H, L. */
function rotl(h: number, l: number, r: number): void {
  H = ((h << r) | (l >>> (32 - r))) >>> 0;
  L = ((l << r) | (h >>> (32 - r))) >>> 0;
}

/** round(acc, input) = rotl(acc + input * P2, 31) * P1, into H, L. */
function round(accH: number, accL: number, inH: number, inL: number): void {
  mul(inH, inL, P2H, P2L);
  add(accH, accL, H, L);
  rotl(H, L, 31);
  mul(H, L, P1H, P1L);
}

// 16-bit halves of the low words of P1 and P2, for the inlined multiplications of `lane`
const P1L0 = P1L & 0xffff,
  P1L1 = P1L >>> 16;
const P2L0 = P2L & 0xffff,
  P2L1 = P2L >>> 16;

/** v[k..k+1] = round(v[k..k+1], input): the hot loop, written out without helper calls. */
function lane(v: Uint32Array, k: number, inH: number, inL: number): void {
  // t = input * P2
  let a0 = inL & 0xffff;
  let a1 = inL >>> 16;
  let mid = a1 * P2L0 + a0 * P2L1;
  let lo = a0 * P2L0 + (mid & 0xffff) * 0x10000;
  const tL = lo >>> 0;
  const tH =
    (a1 * P2L1 +
      ((mid / 0x10000) | 0) +
      (lo > 0xffffffff ? 1 : 0) +
      Math.imul(inL, P2H) +
      Math.imul(inH, P2L)) >>>
    0;
  // n = acc + t
  const s = v[k + 1]! + tL;
  const nL = s >>> 0;
  const nH = (v[k]! + tH + (s > 0xffffffff ? 1 : 0)) >>> 0;
  // r = rotl(n, 31)
  const rH = ((nH << 31) | (nL >>> 1)) >>> 0;
  const rL = ((nL << 31) | (nH >>> 1)) >>> 0;
  // acc = r * P1
  a0 = rL & 0xffff;
  a1 = rL >>> 16;
  mid = a1 * P1L0 + a0 * P1L1;
  lo = a0 * P1L0 + (mid & 0xffff) * 0x10000;
  v[k + 1] = lo;
  v[k] =
    a1 * P1L1 +
    ((mid / 0x10000) | 0) +
    (lo > 0xffffffff ? 1 : 0) +
    Math.imul(rL, P1H) +
    Math.imul(rH, P1L);
}

function u32(d: Uint8Array, i: number): number {
  return (d[i]! | (d[i + 1]! << 8) | (d[i + 2]! << 16) | (d[i + 3]! << 24)) >>> 0;
}

export class Xxh64 {
  /** Accumulators v1..v4 as [hi, lo] pairs. */
  readonly #v = new Uint32Array(8);
  #total = 0;
  readonly #mem = new Uint8Array(32);
  #memSize = 0;

  constructor() {
    this.reset();
  }

  reset(): void {
    const v = this.#v;
    add(P1H, P1L, P2H, P2L);
    v[0] = H;
    v[1] = L;
    v[2] = P2H;
    v[3] = P2L;
    v[4] = 0;
    v[5] = 0;
    // 0 - P1 = two's complement of P1
    add(~P1H >>> 0, ~P1L >>> 0, 0, 1);
    v[6] = H;
    v[7] = L;
    this.#total = 0;
    this.#memSize = 0;
  }

  /** Consumes 32-byte stripes of `d` from `i` while at least 32 bytes remain; returns the new i. */
  #stripes(d: Uint8Array, i: number, end: number): number {
    const v = this.#v;
    if (LITTLE_ENDIAN && (d.byteOffset + i) % 4 === 0 && end - i >= 32) {
      // aligned: read the lanes as u32 words directly
      const w = new Uint32Array(d.buffer, d.byteOffset + i, (end - i) >>> 2);
      const words = ((end - i) >>> 5) << 3;
      for (let j = 0; j < words; j += 8) {
        lane(v, 0, w[j + 1]!, w[j]!);
        lane(v, 2, w[j + 3]!, w[j + 2]!);
        lane(v, 4, w[j + 5]!, w[j + 4]!);
        lane(v, 6, w[j + 7]!, w[j + 6]!);
      }
      return i + words * 4;
    }
    for (; i + 32 <= end; i += 32) {
      lane(v, 0, u32(d, i + 4), u32(d, i));
      lane(v, 2, u32(d, i + 12), u32(d, i + 8));
      lane(v, 4, u32(d, i + 20), u32(d, i + 16));
      lane(v, 6, u32(d, i + 28), u32(d, i + 24));
    }
    return i;
  }

  update(d: Uint8Array): void {
    this.#total += d.length;
    let i = 0;
    if (this.#memSize > 0) {
      const take = Math.min(32 - this.#memSize, d.length);
      this.#mem.set(d.subarray(0, take), this.#memSize);
      this.#memSize += take;
      i = take;
      if (this.#memSize < 32) return;
      this.#stripes(this.#mem, 0, 32);
      this.#memSize = 0;
    }
    i = this.#stripes(d, i, d.length);
    if (i < d.length) {
      this.#mem.set(d.subarray(i), 0);
      this.#memSize = d.length - i;
    }
  }

  /** The low 32 bits of the digest (what a zstd frame stores). */
  digestLow32(): number {
    let h: number, l: number;
    if (this.#total >= 32) {
      const v = this.#v;
      rotl(v[0]!, v[1]!, 1);
      let ah = H,
        al = L;
      rotl(v[2]!, v[3]!, 7);
      add(ah, al, H, L);
      ah = H;
      al = L;
      rotl(v[4]!, v[5]!, 12);
      add(ah, al, H, L);
      ah = H;
      al = L;
      rotl(v[6]!, v[7]!, 18);
      add(ah, al, H, L);
      h = H;
      l = L;
      for (let k = 0; k < 8; k += 2) {
        round(0, 0, v[k]!, v[k + 1]!); // mergeRound: (acc ^ round(0, v)) * P1 + P4
        mul((h ^ H) >>> 0, (l ^ L) >>> 0, P1H, P1L);
        add(H, L, P4H, P4L);
        h = H;
        l = L;
      }
    } else {
      h = P5H;
      l = P5L;
    }
    // + total length (< 2^53)
    add(h, l, Math.floor(this.#total / 0x100000000) >>> 0, this.#total >>> 0);
    h = H;
    l = L;
    const m = this.#mem;
    const end = this.#memSize;
    let p = 0;
    for (; p + 8 <= end; p += 8) {
      round(0, 0, u32(m, p + 4), u32(m, p));
      rotl((h ^ H) >>> 0, (l ^ L) >>> 0, 27);
      mul(H, L, P1H, P1L);
      add(H, L, P4H, P4L);
      h = H;
      l = L;
    }
    if (p + 4 <= end) {
      mul(0, u32(m, p), P1H, P1L);
      rotl((h ^ H) >>> 0, (l ^ L) >>> 0, 23);
      mul(H, L, P2H, P2L);
      add(H, L, P3H, P3L);
      h = H;
      l = L;
      p += 4;
    }
    for (; p < end; p++) {
      mul(0, m[p]!, P5H, P5L);
      rotl((h ^ H) >>> 0, (l ^ L) >>> 0, 11);
      mul(H, L, P1H, P1L);
      h = H;
      l = L;
    }
    // avalanche
    l = (l ^ (h >>> 1)) >>> 0; // ^= >> 33
    mul(h, l, P2H, P2L);
    h = H;
    l = L;
    l = (l ^ ((l >>> 29) | (h << 3))) >>> 0; // ^= >> 29
    h = (h ^ (h >>> 29)) >>> 0;
    mul(h, l, P3H, P3L);
    h = H;
    l = L;
    return (l ^ h) >>> 0; // ^= >> 32, low half
  }
}
