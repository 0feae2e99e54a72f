// Unit test of the benchmark harness's pure figures (bench/lib/stats.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { median, pairedRatio, relativeToFirst } from '../../bench/lib/stats.ts';

test('median of odd, even and empty lists', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
});

test('pairedRatio divides round by round, then takes the median', () => {
  // rounds: 1/2, 4/2, 3/3 → 0.5, 2, 1 → median 1 (the ratio of medians would be 3/2 = 1.5)
  assert.equal(pairedRatio([1, 4, 3], [2, 2, 3]), 1);
  assert.equal(pairedRatio([2, 2, 9], [1, 1]), 2); // only rounds both ran
  assert.ok(Number.isNaN(pairedRatio([1], [])));
});

test('relativeToFirst', () => {
  assert.deepEqual(relativeToFirst([2, 4, 8]), [1, 2, 4]);
});
