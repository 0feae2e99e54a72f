/**
 * Blob downloads as the test registry logged them (support/registry-log.ts), and the fault of a
 * blob downloaded twice in one round.
 */
export { blobGets, logMark } from '../../support/registry-log.ts';

/** A fault for every blob fetched more than once. */
export function downloadedTwice(gets: Map<string, number>): string[] {
  return [...gets]
    .filter(([, n]) => n > 1)
    .map(([digest, n]) => `blob ${digest} downloaded ${n} times in one round`);
}
