// ChainID and image-ID vectors from moby's tests (test/fixtures/ids/expected.json).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { asDigest } from '../../src/core/digest.ts';
import { chainIdOf, chainIdStep, imageIdOf } from '../../src/core/ids.ts';
import { fixture } from '../helpers/fixtures.ts';

const vectors = JSON.parse(readFileSync(fixture('ids', 'expected.json'), 'utf8')) as {
  chainID: { cases: { diffIDs: string[]; expected: string }[] };
  imageStoreCreate: { cases: { config: string; expectedID: string }[] };
};

test('ChainID vectors', () => {
  assert.ok(vectors.chainID.cases.length >= 2);
  for (const c of vectors.chainID.cases) {
    assert.equal(chainIdOf(c.diffIDs.map(asDigest)), c.expected);
  }
});

test('ChainID is built step by step from the parent', () => {
  const [a, b] = vectors.chainID.cases[0]!.diffIDs.map(asDigest) as [
    ReturnType<typeof asDigest>,
    ReturnType<typeof asDigest>,
  ];
  assert.equal(chainIdStep(undefined, a), a);
  assert.equal(chainIdStep(a, b), vectors.chainID.cases[0]!.expected);
  assert.equal(chainIdOf([]), undefined);
});

test('image ID = sha256 of the exact config bytes (whitespace included)', () => {
  for (const c of vectors.imageStoreCreate.cases) {
    assert.equal(imageIdOf(Buffer.from(c.config, 'utf8')), c.expectedID);
    assert.notEqual(
      imageIdOf(Buffer.from(JSON.stringify(JSON.parse(c.config)), 'utf8')),
      c.expectedID,
    );
  }
});
