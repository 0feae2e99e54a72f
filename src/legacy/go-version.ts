/**
 * Docker's `pkg/version` comparison: split on `.`, compare part by part as decimal integers
 * (Go's `strconv.Atoi`: an optional sign, clamped to 64 bits; anything unparsable counts as 0; a
 * missing part counts as 0). So `1.9.0-dev` ≥ `1.8.3`, while `1.8.3-rc1` and `` are below it.
 */

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);

function atoi(part: string): bigint {
  if (!/^[+-]?[0-9]+$/.test(part)) return 0n;
  const n = BigInt(part);
  return n > INT64_MAX ? INT64_MAX : n < INT64_MIN ? INT64_MIN : n;
}

/** Negative, zero or positive as `a` is below, equal to or above `b`. */
export function compareDockerVersions(a: string, b: string): number {
  const left = a.split('.');
  const right = b.split('.');
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const x = i < left.length ? atoi(left[i]!) : 0n;
    const y = i < right.length ? atoi(right[i]!) : 0n;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}
