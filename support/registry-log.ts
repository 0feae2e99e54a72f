/**
 * Blob downloads as a Distribution registry logged them (support/registry.ts keeps its log): the
 * `response completed` lines of its text formatter for GETs of `/v2/<repo>/blobs/<digest>`
 * answered 200 or 206, counted per digest, from a byte offset of the log on (so a run counts only
 * its own).
 */
import { readFileSync, statSync } from 'node:fs';

/** Where the log ends now: pass it to blobGets to count what comes after. */
export function logMark(logFile: string): number {
  return statSync(logFile).size;
}

/** GETs of each blob (by digest) answered with content since `mark`. */
export function blobGets(logFile: string, mark: number): Map<string, number> {
  const text = readFileSync(logFile).subarray(mark).toString('utf8');
  const gets = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.includes('msg="response completed"')) continue;
    if (!/\bhttp\.request\.method=GET\b/.test(line)) continue;
    const uri = /\bhttp\.request\.uri="\/v2\/[^"]*\/blobs\/(sha256:[0-9a-f]{64})"/.exec(line);
    const status = /\bhttp\.response\.status=(\d+)/.exec(line);
    if (!uri || !status || !['200', '206'].includes(status[1]!)) continue;
    gets.set(uri[1]!, (gets.get(uri[1]!) ?? 0) + 1);
  }
  return gets;
}
