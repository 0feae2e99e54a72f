// The applier's synchronous small-body path against its streaming path. A layer fed whole hands
// every body over at once (`bufferedBody()`, written with no promise); fed in 1-, 7- and 512-byte
// chunks or at random sizes, bodies span chunks and stream. Random layers with hostile names
// (`..`, absolute paths, non-UTF-8 bytes, symlinks out, hard links, whiteouts, opaque markers,
// AUFS sources) must give the same outcome (success, or the same error) and the same tree both
// ways, and never touch anything outside the root.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { applyLayer } from '../../src/archive/apply/index.ts';
import { isShaleError } from '../../src/core/errors.ts';
import { readTar } from '../../src/archive/tar/index.ts';
import { snapshot as treeOf } from '../helpers/changes-tree.ts';
import { asAsync, chunksOf, type Chunking } from '../helpers/fuzz-tar.ts';
import {
  dir,
  file,
  hardlink,
  layer,
  makeSandbox,
  snapshot as outsideOf,
  symlink,
  whiteout,
  type Entry,
} from '../helpers/layer-sandbox.ts';

test('bufferedBody hands over a body inside the chunk read, whole, and nothing for one that spans chunks', async () => {
  const bytes = await layer([
    file('a', 'x'.repeat(700)),
    file('b', ''),
    file('c', 'y'.repeat(3000)),
  ]);
  const whole: (string | undefined)[] = [];
  for await (const entry of readTar(asAsync([bytes]))) {
    whole.push(entry.bufferedBody()?.toString());
    assert.throws(() => entry.bufferedBody(), /read only once/);
  }
  assert.deepEqual(whole, ['x'.repeat(700), '', 'y'.repeat(3000)]);

  const split: (string | undefined)[] = [];
  for await (const entry of readTar(asAsync(chunksOf(bytes, () => 512)))) {
    const body = entry.bufferedBody();
    let streamed = '';
    if (body === undefined) for await (const chunk of entry.body) streamed += chunk.toString();
    split.push(body === undefined ? `streamed:${streamed}` : body.toString());
  }
  // With 512-byte chunks a header arrives before its body: only the empty body is complete at once.
  assert.deepEqual(split, [`streamed:${'x'.repeat(700)}`, '', `streamed:${'y'.repeat(3000)}`]);
});

const segment = fc.constantFrom(
  'a',
  'b',
  'l',
  '..',
  '.',
  '',
  'box',
  '\xff\xfe',
  'é',
  '.wh..wh.plnk',
);
const relPath = fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => s.join('/'));
const anyPath = fc.oneof(
  relPath,
  relPath.map((p) => `/${p}`),
);
const linkText = fc.oneof(anyPath, fc.constantFrom('..', '../..', '/', '../outside-file', '/etc'));
const bodyText = fc
  .oneof(
    { weight: 6, arbitrary: fc.integer({ min: 0, max: 3000 }) },
    { weight: 1, arbitrary: fc.integer({ min: 60_000, max: 70_000 }) },
  )
  .map((n) => 'z'.repeat(n));
const entry: fc.Arbitrary<Entry> = fc.oneof(
  fc
    .tuple(anyPath, bodyText, fc.constantFrom(0o644, 0o600, 0o4755, 0o777))
    .map(([p, body, mode]) => file(p, body, { mode, mtime: 1_600_000_123 })),
  anyPath.map((p) => dir(`${p}/`, { mode: 0o750 })),
  fc.tuple(anyPath, linkText).map(([p, t]) => symlink(p, t)),
  fc.tuple(anyPath, anyPath).map(([p, t]) => hardlink(p, t, { mode: 0o640 })),
  fc
    .tuple(fc.array(segment, { maxLength: 2 }), fc.constantFrom('a', 'l', 'b', '\xff\xfe'))
    .map(([d, n]) => whiteout([...d, `.wh.${n}`].join('/'))),
  fc.array(segment, { maxLength: 2 }).map((d) => whiteout([...d, '.wh..wh..opq'].join('/'))),
);

const chunkingArb: fc.Arbitrary<{ label: string; chunking: Chunking }> = fc.oneof(
  fc.constantFrom(1, 7, 512).map((n) => ({ label: `${n}-byte chunks`, chunking: () => n })),
  fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 20 }).map((sizes) => ({
    label: `chunks ${sizes.join(',')}`,
    chunking: (i: number) => sizes[i % sizes.length]!,
  })),
);

/** Apply the layers in order to a fresh sandbox; the outcome of each and the final tree. */
async function applyAll(
  layers: Buffer[],
  feed: (bytes: Buffer) => AsyncIterable<Uint8Array>,
): Promise<{ outcomes: string[]; tree: unknown }> {
  const sb = makeSandbox();
  try {
    const outside = outsideOf(sb.tmp, sb.root);
    const outcomes: string[] = [];
    for (const bytes of layers) {
      try {
        const result = await applyLayer(sb.root, feed(bytes));
        outcomes.push(`ok ${result.entries} entries, ${result.size} bytes`);
      } catch (err) {
        if (!isShaleError(err)) throw err;
        outcomes.push(`${err.code}: ${err.message.replaceAll(sb.tmp, '<tmp>')}`);
      }
    }
    assert.deepEqual(outsideOf(sb.tmp, sb.root), outside, 'something outside the root changed');
    return { outcomes, tree: [...treeOf(sb.root)] };
  } finally {
    sb.cleanup();
  }
}

test('the synchronous small-body path and the streaming path build the same tree', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.array(entry, { maxLength: 10 }), { minLength: 1, maxLength: 2 }),
      chunkingArb,
      async (entryLists, { chunking }) => {
        const layers = await Promise.all(entryLists.map((entries) => layer(entries)));
        const fast = await applyAll(layers, (bytes) => asAsync([bytes]));
        const streamed = await applyAll(layers, (bytes) => asAsync(chunksOf(bytes, chunking)));
        assert.deepEqual(streamed, fast);
      },
    ),
    { numRuns: 150 },
  );
});
