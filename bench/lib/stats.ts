/** Pure figures over timed runs: the median, and shale/peer ratios taken per alternating pair. */

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * shale time / peer time for each round in which both ran (round i of one against round i of the
 * other: they ran back to back and shared whatever the machine was doing), then the median.
 * < 1 means shale is faster. NaN when no round has both.
 */
export function pairedRatio(shale: readonly number[], peer: readonly number[]): number {
  const n = Math.min(shale.length, peer.length);
  const ratios: number[] = [];
  for (let i = 0; i < n; i++) if (peer[i]! > 0) ratios.push(shale[i]! / peer[i]!);
  return median(ratios);
}

/** Each value divided by the first (the 1x point): how a cost grows with the input. */
export function relativeToFirst(values: readonly number[]): number[] {
  const first = values[0];
  return values.map((v) => (first ? v / first : NaN));
}
