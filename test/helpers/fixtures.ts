/** Paths of the copied test vectors under test/fixtures. */
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

export function fixture(...parts: string[]): string {
  return path.join(FIXTURES, ...parts);
}
