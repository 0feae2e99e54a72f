// Digest parsing and the TarSum-label recognition (anchored and escaped, unlike upstream).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { asDigest, isDigest, parseDigest, parseTarsumLabel } from '../../src/core/digest.ts';
import { isShaleError } from '../../src/core/errors.ts';

const EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

test('sha256 and sha512 digests parse', () => {
  assert.deepEqual(parseDigest(`sha256:${EMPTY}`), { algorithm: 'sha256', hex: EMPTY });
  const hex512 =
    'cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e';
  assert.equal(asDigest(`sha512:${hex512}`), `sha512:${hex512}`);
});

test('malformed digests are refused with ERR_INVALID_DIGEST', () => {
  for (const bad of [
    '',
    'sha256',
    `sha256${EMPTY}`,
    `sha256:${EMPTY.toUpperCase()}`,
    `sha256:${EMPTY}0`,
    `sha256:${EMPTY.slice(1)}`,
    `SHA256:${EMPTY}`,
    `:${EMPTY}`,
    `sha256:${EMPTY}\n`,
  ]) {
    assert.throws(
      () => parseDigest(bad),
      (e) => isShaleError(e, 'ERR_INVALID_DIGEST'),
      JSON.stringify(bad),
    );
  }
});

test('unknown algorithms are ERR_UNSUPPORTED', () => {
  assert.throws(
    () => parseDigest(`md5:${EMPTY.slice(0, 32)}`),
    (e) => isShaleError(e, 'ERR_UNSUPPORTED'),
  );
  assert.throws(
    () => parseDigest(`sha384:${EMPTY}`),
    (e) => isShaleError(e, 'ERR_UNSUPPORTED'),
  );
});

test('a TarSum checksum is not a digest', () => {
  assert.equal(isDigest(`tarsum.v1+sha256:${EMPTY}`), false);
});

test('TarSum labels are recognised whole, with an escaped dot', () => {
  assert.deepEqual(parseTarsumLabel(`tarsum.v1+sha256:${EMPTY}`), {
    version: 'v1',
    algorithm: 'sha256',
    hex: EMPTY,
  });
  assert.deepEqual(parseTarsumLabel(`tarsum+sha256:${EMPTY}`), {
    version: '',
    algorithm: 'sha256',
    hex: EMPTY,
  });
  assert.deepEqual(parseTarsumLabel(`tarsum.dev+sha512:${EMPTY}`), {
    version: 'dev',
    algorithm: 'sha512',
    hex: EMPTY,
  });
  // Upstream's unanchored pattern with an unescaped dot accepted all of these.
  for (const bad of [
    `xtarsum.v1+sha256:${EMPTY}`,
    `tarsum.v1+sha256:${EMPTY} trailing`,
    `tarsumXv1+sha256:${EMPTY}`,
    `prefix tarsum+sha256:${EMPTY}`,
    `tarsum.v1+sha256:`,
  ]) {
    assert.equal(parseTarsumLabel(bad), undefined, bad);
  }
});
