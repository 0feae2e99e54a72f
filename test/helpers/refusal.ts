// What a refused CLI run must look like (exit 1, exactly one `shale: …` line on stderr, no Node
// stack) and the store's visible state (images listed, blobs held) to compare before and after.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { runShale, type ShaleRun } from './shale.ts';

export function assertRefused(r: ShaleRun, message: RegExp): void {
  assert.equal(r.status, 1, `expected exit 1, got ${r.status}: ${r.stderr}`);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `expected one line on stderr, got:\n${r.stderr}`);
  assert.match(lines[0]!, /^shale: /);
  assert.match(lines[0]!, message);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'a stack trace was printed');
}

export function storeState(root: string): { images: string; blobs: string[] } {
  const images = runShale(['--root', root, 'images', '--all', '--json']);
  assert.equal(images.status, 0, images.stderr);
  return { images: images.stdout, blobs: readdirSync(path.join(root, 'blobs', 'sha256')).sort() };
}
