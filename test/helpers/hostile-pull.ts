// The CLI side of the hostile-registry tests: a store that already holds an image, its visible
// state (every file outside ingest/ by content, and `images --json`), a pull timed against the
// hostile registry with short network limits, and the shape every failure must have.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runShaleAsync, type ShaleRun } from './shale.ts';

/** A fresh store holding one imported image, and a cleanup. */
export async function storeWithAnImage(): Promise<{ root: string; cleanup: () => void }> {
  const work = fs.mkdtempSync(path.join(tmpdir(), 'shale-hostile-'));
  const rootfs = path.join(work, 'rootfs');
  fs.mkdirSync(rootfs);
  fs.writeFileSync(path.join(rootfs, 'hello'), 'already here\n');
  const root = path.join(work, 'store');
  const imported = await runShaleAsync(['--root', root, 'import', rootfs, 'local/base:1']);
  assert.equal(imported.status, 0, imported.stderr);
  return { root, cleanup: () => fs.rmSync(work, { recursive: true, force: true }) };
}

function walk(dir: string, base: string, out: string[]): void {
  for (const entry of fs
    .readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const full = path.join(dir, entry.name);
    const rel = path.relative(base, full);
    if (rel === path.join('shale', 'ingest')) continue;
    if (entry.isDirectory()) {
      out.push(`${rel}/`);
      walk(full, base, out);
    } else if (entry.isSymbolicLink()) {
      out.push(`${rel} -> ${fs.readlinkSync(full)}`);
    } else {
      out.push(`${rel} ${createHash('sha256').update(fs.readFileSync(full)).digest('hex')}`);
    }
  }
}

/** What the store shows: every path outside ingest/ with its content hash, and `images --json`. */
export async function storeState(root: string): Promise<{ files: string[]; images: string }> {
  const files: string[] = [];
  walk(root, root, files);
  const images = await runShaleAsync(['--root', root, 'images', '--json']);
  assert.equal(images.status, 0, images.stderr);
  return { files, images: images.stdout };
}

/** Bytes in the store's ingest area (partial downloads). */
export function ingestBytes(root: string): number {
  const ingest = path.join(root, 'shale', 'ingest');
  if (!fs.existsSync(ingest)) return 0;
  return fs
    .readdirSync(ingest)
    .reduce((n, name) => n + fs.statSync(path.join(ingest, name)).size, 0);
}

/** Short limits, so a hang costs the test seconds. */
export const SHORT_LIMITS = { SHALE_READ_TIMEOUT: '1', SHALE_BLOB_TIMEOUT: '8' };

/** `shale pull -q HOST/hostile/app:TAG`, timed. */
export async function pull(
  root: string,
  host: string,
  tag: string,
  env: Record<string, string> = SHORT_LIMITS,
): Promise<ShaleRun & { ms: number }> {
  const started = Date.now();
  const run = await runShaleAsync(['--root', root, 'pull', '-q', `${host}/hostile/app:${tag}`], {
    env,
  });
  return { ...run, ms: Date.now() - started };
}

/** Exit 1 with exactly one `shale: …` line, no stack, matching `pattern`. */
export function assertCleanFailure(run: ShaleRun, pattern: RegExp): void {
  assert.equal(run.status, 1, `expected exit 1, got ${run.status}: ${run.stderr}`);
  const lines = run.stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `expected one line on stderr, got:\n${run.stderr}`);
  assert.match(lines[0]!, /^shale: /);
  assert.doesNotMatch(lines[0]!, /internal error|\n\s+at /);
  assert.match(lines[0]!, pattern);
  assert.equal(run.stdout, '');
}

/** Runs `act` on a store holding an image and checks the store shows the same before and after. */
export async function withUnchangedStore(act: (root: string) => Promise<void>): Promise<void> {
  const { root, cleanup } = await storeWithAnImage();
  try {
    const before = await storeState(root);
    await act(root);
    assert.deepEqual(await storeState(root), before, 'the store changed');
  } finally {
    cleanup();
  }
}
