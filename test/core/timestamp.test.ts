// Docker's until= values (api/types/time GetTimestamp): Go durations, RFC 3339 forms, Unix times.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isShaleError } from '../../src/core/errors.ts';
import { parseDockerTimestamp, parseGoDuration } from '../../src/core/timestamp.ts';

test('Go durations', () => {
  assert.equal(parseGoDuration('1h30m'), 5_400_000);
  assert.equal(parseGoDuration('1.5h'), 5_400_000);
  assert.equal(parseGoDuration('300ms'), 300);
  assert.equal(parseGoDuration('-2s'), -2000);
  assert.equal(parseGoDuration('10'), undefined);
  assert.equal(parseDockerTimestamp('24h', 100_000_000), 100_000_000 - 86_400_000);
});

test('RFC 3339 times with a zone, local times without one, Unix times', () => {
  assert.equal(parseDockerTimestamp('2024-05-01T10:00:00Z'), Date.UTC(2024, 4, 1, 10));
  assert.equal(parseDockerTimestamp('2024-05-01T12:00:00.5+02:00'), Date.UTC(2024, 4, 1, 10) + 500);
  assert.equal(parseDockerTimestamp('2024-05-01T10:00'), new Date(2024, 4, 1, 10).getTime());
  assert.equal(parseDockerTimestamp('2024-05-01'), new Date(2024, 4, 1).getTime());
  assert.equal(parseDockerTimestamp('1714557600'), 1_714_557_600_000);
  assert.equal(parseDockerTimestamp('1714557600.25'), 1_714_557_600_250);
  assert.equal(parseDockerTimestamp('0'), 0);
  assert.throws(
    () => parseDockerTimestamp('yesterday'),
    (e) => isShaleError(e, 'ERR_INVALID_ARGUMENT') && /"yesterday"/.test(e.message),
  );
});
