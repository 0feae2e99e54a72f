// Property: random sequences of hostile entries (names with `..`, absolute paths, symlinks to
// `..`/`/`/outside paths, hard links, whiteouts, opaque markers, duplicates) across two layers
// never change anything outside the root; the applier either succeeds or fails with a ShaleError,
// with its small files written on its own thread or through the write-behind threads.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { applyLayer } from '../../src/archive/apply/index.ts';
import { isShaleError } from '../../src/core/errors.ts';
import {
  chunksOf,
  dir,
  file,
  hardlink,
  layer,
  makeSandbox,
  snapshot,
  symlink,
  whiteout,
  WRITE_MODES,
  type Entry,
} from '../helpers/layer-sandbox.ts';

const segment = fc.constantFrom('a', 'b', 'l', '..', '.', 'outside-file', 'target-dir', 'box', '');
const relPath = fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => s.join('/'));
const anyPath = fc.oneof(
  relPath,
  relPath.map((p) => `/${p}`),
);
const linkText = fc.oneof(
  anyPath,
  fc.constantFrom('..', '../..', '/', '../../target-dir', '../outside-file', '/etc', '/etc/passwd'),
);
const entry: fc.Arbitrary<Entry> = fc.oneof(
  anyPath.map((p) => file(p, 'pwned', { mode: 0o4777 })),
  anyPath.map((p) => dir(`${p}/`, { mode: 0o777 })),
  fc.tuple(anyPath, linkText).map(([p, t]) => symlink(p, t)),
  fc.tuple(anyPath, anyPath).map(([p, t]) => hardlink(p, t, { mode: 0o4777 })),
  fc
    .tuple(fc.array(segment, { maxLength: 2 }), fc.constantFrom('a', 'l', '..', '.', '', 'b'))
    .map(([d, n]) => whiteout([...d, `.wh.${n}`].join('/'))),
  fc.array(segment, { maxLength: 2 }).map((d) => whiteout([...d, '.wh..wh..opq'].join('/'))),
);

test('random hostile layers never touch anything outside the root', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(entry, { maxLength: 12 }),
      fc.array(entry, { maxLength: 12 }),
      fc.constantFrom(...WRITE_MODES),
      async (one, two, mode) => {
        const sb = makeSandbox();
        try {
          const before = snapshot(sb.tmp, sb.root);
          for (const entries of [one, two]) {
            const bytes = await layer(entries);
            try {
              await applyLayer(sb.root, chunksOf(bytes), mode.options);
            } catch (err) {
              assert.ok(isShaleError(err), `not a ShaleError: ${String(err)}`);
            }
          }
          assert.deepEqual(snapshot(sb.tmp, sb.root), before);
        } finally {
          sb.cleanup();
        }
      },
    ),
    { numRuns: 150 },
  );
});
