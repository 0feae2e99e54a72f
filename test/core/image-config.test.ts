// Image config validation: diff_ids against history, digest syntax, pass-through of other fields,
// and the ID computed from the bytes as given.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { isShaleError } from '../../src/core/errors.ts';
import { parseImageConfig } from '../../src/core/image-config.ts';

const D1 = `sha256:${'a'.repeat(64)}`;
const D2 = `sha256:${'b'.repeat(64)}`;
const base = {
  architecture: 'amd64',
  os: 'linux',
  config: { Env: ['PATH=/bin'], Labels: { x: 'y' } },
  rootfs: { type: 'layers', diff_ids: [D1, D2] },
  history: [
    { created_by: 'ADD a' },
    { created_by: 'ENV X=1', empty_layer: true },
    { created_by: 'RUN b' },
  ],
  'vendor.extension': { kept: true },
};

test('a valid config parses; its ID is the sha256 of the bytes as given', () => {
  const bytes = Buffer.from(JSON.stringify(base, null, 2));
  const parsed = parseImageConfig(bytes);
  assert.equal(parsed.id, `sha256:${createHash('sha256').update(bytes).digest('hex')}`);
  assert.deepEqual(parsed.config.rootfs.diff_ids, [D1, D2]);
  assert.deepEqual((parsed.config as Record<string, unknown>)['vendor.extension'], { kept: true });
  assert.notEqual(parseImageConfig(Buffer.from(JSON.stringify(base))).id, parsed.id);
});

test('configs without history, or with null history, are accepted', () => {
  parseImageConfig(Buffer.from(JSON.stringify({ ...base, history: undefined })));
  parseImageConfig(Buffer.from(JSON.stringify({ ...base, history: null })));
});

test('configs Docker made from v1 JSON may lack architecture and os, as Docker accepts', () => {
  const { config } = parseImageConfig(
    Buffer.from(JSON.stringify({ ...base, architecture: undefined, os: undefined })),
  );
  assert.equal(config.architecture, undefined);
  assert.equal(config.os, undefined);
});

function rejects(config: unknown, pattern: RegExp): void {
  assert.throws(
    () =>
      parseImageConfig(Buffer.from(typeof config === 'string' ? config : JSON.stringify(config))),
    (e) => isShaleError(e, 'ERR_INVALID_ARGUMENT') && pattern.test(e.message),
  );
}

test('configs that lie or are malformed are refused with a clear message', () => {
  rejects(
    { ...base, history: [{ created_by: 'ADD a' }] },
    /history has 1 non-empty layers but rootfs\.diff_ids lists 2/,
  );
  rejects(
    { ...base, rootfs: { type: 'layers', diff_ids: ['sha256:nothex'] } },
    /rootfs\.diff_ids\.0: not a sha256\/sha512 digest/,
  );
  rejects({ ...base, rootfs: { type: 'squash', diff_ids: [] } }, /rootfs\.type/);
  rejects({ ...base, rootfs: undefined }, /rootfs/);
  rejects({ ...base, architecture: 64 }, /architecture/);
  rejects('{"architecture": "amd64",', /not JSON/);
  rejects('[]', /invalid image config/);
});
