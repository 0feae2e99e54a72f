// The order TarSum combines per-entry sums in (spec §1.4), as EntrySums computes it with its
// packed numeric sort, against a plain model: a stable sort of the hex sums, then each colliding
// pair put back into archive order (or refused when upstream's order is undefined).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ShaleError } from '../../src/core/errors.ts';
import { collisionKey } from '../../src/archive/tarsum/keys.ts';
import { EntrySums } from '../../src/archive/tarsum/order.ts';
import type { TarsumVariant } from '../../src/archive/tarsum/versions.ts';

interface Entry {
  name: string;
  digest: Buffer;
}

function modelOrder(entries: Entry[], variant: TarsumVariant): string {
  const sorted = entries
    .map((e, pos) => ({ ...e, hex: e.digest.toString('hex'), pos }))
    .sort((a, b) => (a.hex < b.hex ? -1 : a.hex > b.hex ? 1 : 0));
  const byKey = new Map<string, number[]>();
  sorted.forEach((e, i) => {
    const key = collisionKey(e.name, variant);
    byKey.set(key, [...(byKey.get(key) ?? []), i]);
  });
  for (const indexes of byKey.values()) {
    if (indexes.length === 1) continue;
    if (indexes.length > 2) throw new Error('more than two');
    const [i, j] = indexes as [number, number];
    if (sorted[i]!.pos < sorted[j]!.pos) continue;
    if (j !== i + 1 && sorted[i]!.hex !== sorted[j]!.hex) throw new Error('interleaved');
    [sorted[i], sorted[j]] = [sorted[j]!, sorted[i]!];
  }
  return sorted.map((e) => e.hex).join('');
}

function entrySumsOrder(
  entries: Entry[],
  variant: TarsumVariant,
  size: number,
  pieceSize: number,
): string {
  const sums = new EntrySums(size, variant);
  entries.forEach((e, i) =>
    // Both forms add() takes: a latin1 string of the bytes, and the bytes.
    sums.add(e.name, i % 2 === 0 ? e.digest.toString('latin1') : e.digest),
  );
  let hex = '';
  for (const piece of sums.hexInOrder(pieceSize)) hex += piece.toString('latin1'); // reused
  return hex;
}

/** Deterministic pseudo-random numbers (mulberry32). */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/**
 * Entries whose digests often share long prefixes or are equal, and whose names often collide
 * (spelled differently: `./a`, `a/`, `/x/../a`), so every path of the sort and of the
 * collision rule is taken.
 */
function randomEntries(next: () => number, count: number, size: number): Entry[] {
  const entries: Entry[] = [];
  for (let i = 0; i < count; i++) {
    const digest = Buffer.alloc(size);
    for (let b = 0; b < size; b++) digest[b] = Math.floor(next() * 256);
    const shape = next();
    if (entries.length > 0 && shape < 0.1) {
      entries[Math.floor(next() * entries.length)]!.digest.copy(digest); // an equal sum
    } else if (entries.length > 0 && shape < 0.3) {
      // The same first 7–9 bytes as another sum (more than the packed sort key holds).
      entries[Math.floor(next() * entries.length)]!.digest.copy(digest, 0, 0, 7 + (i % 3));
    }
    let name = `dir/file-${i}`;
    if (entries.length > 0 && next() < 0.05) {
      const other = entries[Math.floor(next() * entries.length)]!.name.replace(/^\.\/|\/$/g, '');
      name = [`./${other}`, `${other}/`, other][i % 3]!;
    }
    entries.push({ name, digest });
  }
  return entries;
}

function outcome(run: () => string): string {
  try {
    return run();
  } catch (err) {
    if (err instanceof ShaleError) {
      assert.equal(err.code, 'ERR_UNSUPPORTED');
      return err.message.includes('times') ? 'error: more than two' : 'error: interleaved';
    }
    return `error: ${(err as Error).message}`;
  }
}

for (const variant of ['2015', '2018'] as const) {
  test(`EntrySums orders like the model (variant ${variant})`, () => {
    const next = random(variant === '2015' ? 1 : 2);
    const seen = new Set<string>();
    for (let round = 0; round < 300; round++) {
      const size = [32, 64, 20, 16][round % 4]!;
      const count = Math.floor(next() * 60);
      const entries = randomEntries(next, count, size);
      const pieceSize = [64 * 1024, size, 3 * size + 1][round % 3]!;
      const expected = outcome(() => modelOrder(entries, variant));
      const actual = outcome(() => entrySumsOrder(entries, variant, size, pieceSize));
      assert.equal(actual, expected, `round ${round}`);
      seen.add(expected.startsWith('error') ? expected : 'ordered');
    }
    // The rounds reached every outcome, so the comparison above covered each of them.
    assert.deepEqual([...seen].sort(), ['error: interleaved', 'error: more than two', 'ordered']);
  });
}

test('EntrySums sorts a large table with shared prefixes exactly', () => {
  const next = random(3);
  const entries = randomEntries(next, 50_000, 32).map((e, i) => ({ ...e, name: `f${i}` }));
  assert.equal(entrySumsOrder(entries, '2015', 32, 64 * 1024), modelOrder(entries, '2015'));
});

test('a colliding pair out of sum order is put back into archive order', () => {
  const low = Buffer.alloc(32, 0x11);
  const high = Buffer.alloc(32, 0x22);
  const entries = [
    { name: './etc/passwd', digest: high },
    { name: 'etc/passwd', digest: low },
  ];
  assert.equal(
    entrySumsOrder(entries, '2015', 32, 1024),
    high.toString('hex') + low.toString('hex'),
  );
});

test('no entries give no sums', () => {
  assert.equal(entrySumsOrder([], '2015', 32, 1024), '');
});
