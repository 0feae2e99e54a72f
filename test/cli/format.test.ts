// Docker's wording for ages and sizes. The expected strings are worked out from go-units'
// rules (duration.go HumanDuration: seconds and minutes truncated, hours rounded, then days =
// hours/24 below 2 weeks, weeks below 60 days, months (30 days) below 2 years, years; size.go
// HumanSizeWithPrecision: decimal units and Go's %.3g), not taken from shale's output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createdSince,
  goTimeString,
  humanDuration,
  humanSize,
  rfc3339Local,
  unixSeconds,
} from '../../src/cli/format.ts';

const S = 1000;
const MIN = 60 * S;
const H = 60 * MIN;
const DAY = 24 * H;

test('CREATED at the ages of the issue equals docker', () => {
  const now = Date.UTC(2026, 0, 1);
  const ago = (ms: number) => createdSince((now - ms) / 1000, now);
  assert.equal(ago(0), 'Less than a second ago');
  assert.equal(ago(45 * S), '45 seconds ago');
  assert.equal(ago(90 * S), 'About a minute ago');
  assert.equal(ago(59 * MIN), '59 minutes ago');
  assert.equal(ago(36 * H), '36 hours ago');
  assert.equal(ago(10 * DAY), '10 days ago');
  assert.equal(ago(8 * 7 * DAY), '8 weeks ago');
  assert.equal(ago(13 * 30 * DAY), '13 months ago');
  assert.equal(ago(3 * 365 * DAY), '3 years ago');
});

test('HumanDuration at its boundaries', () => {
  const cases: [number, string][] = [
    [999, 'Less than a second'],
    [-5 * S, 'Less than a second'], // a creation time in the future
    [1 * S, '1 second'],
    [59 * S + 999, '59 seconds'],
    [60 * S, 'About a minute'],
    [119 * S, 'About a minute'],
    [120 * S, '2 minutes'],
    [59 * MIN + 59 * S, '59 minutes'],
    [60 * MIN, 'About an hour'],
    [89 * MIN, 'About an hour'], // hours are rounded: 1.48 → 1
    [90 * MIN, '2 hours'],
    [47 * H + 29 * MIN, '47 hours'],
    [47 * H + 30 * MIN, '2 days'], // rounds to 48 hours
    [13 * DAY + 23 * H, '13 days'],
    [14 * DAY, '2 weeks'],
    [59 * DAY, '8 weeks'],
    [60 * DAY, '2 months'],
    [729 * DAY, '24 months'],
    [730 * DAY, '2 years'],
    [1e15, '292 years'], // Go's Duration saturates at ~292 years
  ];
  for (const [ms, want] of cases) assert.equal(humanDuration(ms), want, `${ms} ms`);
});

test('sizes as go-units HumanSizeWithPrecision (precision 3, and 4 for HumanSize)', () => {
  assert.equal(humanSize(0), '0B');
  assert.equal(humanSize(512), '512B');
  assert.equal(humanSize(1000), '1kB');
  assert.equal(humanSize(4_261_234), '4.26MB');
  assert.equal(humanSize(999_999), '1e+03kB'); // Go's %.3g of 999.999
  assert.equal(humanSize(1_234_567, 4), '1.235MB');
  assert.equal(humanSize(77_800_000_000), '77.8GB');
});

test('times as Go prints them (TZ=UTC in CI; the zone follows the local one)', () => {
  const t = unixSeconds('2024-05-01T10:00:00.987654321Z');
  assert.equal(t, Date.UTC(2024, 4, 1, 10) / 1000); // whole seconds, rounded down
  if (new Date(t * 1000).getTimezoneOffset() === 0) {
    assert.equal(goTimeString(t), '2024-05-01 10:00:00 +0000 UTC');
    assert.equal(rfc3339Local(t), '2024-05-01T10:00:00Z');
  }
  assert.equal(unixSeconds(''), -62135596800); // Go's zero time
});
