// TarSum label helpers: the reverse lookup (label -> version and hash) and upstream's helpers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isShaleError } from '../../src/core/errors.ts';
import {
  parseTarsumLabel,
  versionLabelOfChecksum,
  versionOfTarsum,
} from '../../src/archive/tarsum/index.ts';

test('labels map back to version and hash', () => {
  assert.deepEqual(parseTarsumLabel('tarsum+sha256'), { version: 'v0', hash: 'sha256' });
  assert.deepEqual(parseTarsumLabel('tarsum.v1+sha512'), { version: 'v1', hash: 'sha512' });
  assert.deepEqual(parseTarsumLabel('tarsum.dev+sha256'), { version: 'dev', hash: 'sha256' });
});

test('bad labels are refused', () => {
  assert.throws(
    () => parseTarsumLabel('tarsum.v1'),
    (e) => isShaleError(e, 'ERR_INVALID_ARGUMENT'),
  );
  assert.throws(
    () => parseTarsumLabel('tarsum.v2+sha256'),
    (e) => isShaleError(e, 'ERR_INVALID_ARGUMENT'),
  );
  assert.throws(
    () => parseTarsumLabel('Tarsum+sha256'),
    (e) => isShaleError(e, 'ERR_INVALID_ARGUMENT'),
  );
  for (const hash of ['md5', 'sha1', 'sha384', 'SHA256']) {
    assert.throws(
      () => parseTarsumLabel(`tarsum+${hash}`),
      (e) => isShaleError(e, 'ERR_UNSUPPORTED'),
      hash,
    );
  }
});

test('version label of a checksum: text before the first +', () => {
  assert.equal(versionLabelOfChecksum('tarsum.v1+sha256:abc'), 'tarsum.v1');
  assert.equal(versionLabelOfChecksum('something+x'), 'something');
  assert.equal(versionLabelOfChecksum('tarsum'), '');
});

test('version of a tarsum string', () => {
  assert.equal(versionOfTarsum('tarsum'), 'v0');
  assert.equal(versionOfTarsum('tarsum+sha256'), 'v0');
  assert.equal(versionOfTarsum('tarsum.dev'), 'dev');
  assert.equal(versionOfTarsum('tarsum.dev+sha256:0123'), 'dev');
  assert.equal(versionOfTarsum('tarsum.v1+sha256:0123'), 'v1');
  assert.throws(
    () => versionOfTarsum('tarsum.v9+sha256:0'),
    (e) => isShaleError(e, 'ERR_INVALID_ARGUMENT'),
  );
});
