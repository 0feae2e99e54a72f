/**
 * Reference ordering: `sortReferences`, the order distribution/reference's `Sort` gives a list of
 * reference strings (most specific first, unparseable ones last).
 */
import type { Reference } from './model.ts';
import { parseAnyReference } from './normalize.ts';

/** 1 name+tag+digest, 2 name+tag, 3 name+digest, 4 bare name, 5 digest only. */
function rank(ref: Reference): number {
  if (ref.kind === 'digest') return 5;
  if (ref.tag !== undefined) return ref.digest !== undefined ? 1 : 2;
  return ref.digest !== undefined ? 3 : 4;
}

/** Order by Unicode code point, which is the byte order of the UTF-8 encodings (Go's order). */
function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n;) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x < y ? -1 : 1;
    i += x > 0xffff ? 2 : 1;
  }
  return a.length - b.length;
}

/**
 * Parse each string with `parseAnyReference` and return the normalised strings ordered by rank
 * (name+tag+digest, name+tag, name+digest, bare name, digest only), equal ranks by string; then
 * the strings that failed to parse, unchanged, in string order.
 */
export function sortReferences(references: readonly string[]): string[] {
  const parsed: Array<{ rank: number; text: string }> = [];
  const bad: string[] = [];
  for (const text of references) {
    let ref: Reference;
    try {
      ref = parseAnyReference(text);
    } catch {
      bad.push(text);
      continue;
    }
    parsed.push({ rank: rank(ref), text: ref.toString() });
  }
  parsed.sort((a, b) => a.rank - b.rank || compareCodePoints(a.text, b.text));
  bad.sort(compareCodePoints);
  return [...parsed.map((p) => p.text), ...bad];
}
