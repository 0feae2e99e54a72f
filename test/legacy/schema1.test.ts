// Schema1 signed manifests: payload digest vector, libtrust signatures and key IDs,
// fixManifestLayers vectors, throwaway layers, sign → verify → digest round trip.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { asDigest } from '../../src/core/digest.ts';
import { isShaleError } from '../../src/core/errors.ts';
import {
  checkSchema1Manifest,
  fixManifestLayers,
  generateSchema1SigningKey,
  isThrowaway,
  parseSchema1Manifest,
  schema1ImageConfig,
  schema1LayersToFetch,
  signSchema1Manifest,
  verifySchema1Digest,
  verifySchema1Signatures,
  type Schema1Manifest,
} from '../../src/legacy/index.ts';
import { fixture } from '../helpers/fixtures.ts';

const vectors = JSON.parse(readFileSync(fixture('ids', 'expected.json'), 'utf8')) as {
  schema1ManifestDigest: { file: string; expected: string; expectedFSLayer0: string };
  fixManifestLayers: { cases: { layers: [string, string, string][]; expect: string }[] };
  wellKnown: { emptyTarDiffID: { value: string } };
};
const goodManifest = readFileSync(fixture('ids', vectors.schema1ManifestDigest.file));
const text = (data: Uint8Array): string => new TextDecoder().decode(data);

test('schema1ManifestDigest vector: digest over the signed payload', () => {
  const parsed = parseSchema1Manifest(goodManifest);
  assert.equal(parsed.digest, vectors.schema1ManifestDigest.expected);
  assert.equal(
    parsed.manifest.fsLayers[0]!.blobSum,
    vectors.schema1ManifestDigest.expectedFSLayer0,
  );
  assert.ok(text(parsed.payload).endsWith(']\n}'));
  assert.doesNotMatch(text(parsed.payload), /signatures/);
  checkSchema1Manifest(parsed.manifest, { name: 'library/hello-world', tag: 'latest' });
  verifySchema1Digest(parsed, asDigest(vectors.schema1ManifestDigest.expected));
  assert.throws(
    () => verifySchema1Digest(parsed, asDigest(vectors.wellKnown.emptyTarDiffID.value)),
    (err) => isShaleError(err, 'ERR_DIGEST_MISMATCH'),
  );
});

test("moby's signed fixture verifies, and its kid is the libtrust key ID", () => {
  const signers = verifySchema1Signatures(parseSchema1Manifest(goodManifest));
  assert.deepEqual(signers, [
    { keyId: 'OIH7:HQFS:44FK:45VB:3B53:OIAG:TPL4:ATF5:6PNE:MGHN:NHQX:2GE4', alg: 'ES256' },
  ]);
});

test('tampered payloads, signatures and keys are rejected', () => {
  const original = text(goodManifest);
  const tampered = [
    original.replace('"tag": "latest"', '"tag": "lateST"'),
    original.replace('Y6xaFz9Sy', 'Y6xaFz9Sz'),
    original.replace('"kid": "OIH7', '"kid": "AIH7'),
    original.replace('"alg": "ES256"', '"alg": "RS256"'),
    original.replace('"alg": "ES256"', '"alg": "none"'),
  ];
  for (const document of tampered) {
    assert.throws(
      () => verifySchema1Signatures(parseSchema1Manifest(new TextEncoder().encode(document))),
      (err) => isShaleError(err),
    );
  }
  const outsideSignedRange = original.replace('"signatures": [', '"extra": 1, "signatures": [');
  assert.equal(
    parseSchema1Manifest(new TextEncoder().encode(outsideSignedRange)).digest,
    vectors.schema1ManifestDigest.expected,
  );
});

test('malformed manifests are rejected', () => {
  const bad = [
    '[]',
    '{"signatures": []}',
    '{"signatures": [{"header": {"alg": "ES256"}, "protected": "!!", "signature": ""}]}',
    '{"signatures": [{"header": {"alg": "ES256"}, "protected": "eyJmb3JtYXRMZW5ndGgiOjk5OTl9", "signature": ""}]}',
  ];
  for (const document of bad) {
    assert.throws(
      () => parseSchema1Manifest(new TextEncoder().encode(document)),
      (err) => isShaleError(err, 'ERR_INVALID_ARGUMENT'),
      document,
    );
  }
  const base = parseSchema1Manifest(goodManifest).manifest;
  const broken: Schema1Manifest[] = [
    { ...base, schemaVersion: 2 },
    { ...base, history: base.history.slice(1) },
    { ...base, fsLayers: [], history: [] },
    { ...base, fsLayers: [{ blobSum: 'sha256:abc' }, base.fsLayers[1]!] },
  ];
  for (const manifest of broken) {
    assert.throws(
      () => checkSchema1Manifest(manifest),
      (err) => isShaleError(err),
    );
  }
  assert.throws(
    () => checkSchema1Manifest(base, { tag: 'other' }),
    (err) => isShaleError(err),
  );
});

type Layers = [string, string, string][];

function manifestOf(layers: Layers): Schema1Manifest {
  return {
    schemaVersion: 1,
    name: 'test',
    tag: 'latest',
    architecture: 'amd64',
    fsLayers: layers.map(([, , blobSum]) => ({ blobSum })),
    history: layers.map(([id, parent]) => ({
      v1Compatibility: JSON.stringify(parent ? { id, parent } : { id }),
    })),
  };
}

test('fixManifestLayers vectors', () => {
  const [dedupe, baseWithParent, wrongParent] = vectors.fixManifestLayers.cases.map(
    (c) => c.layers,
  ) as [Layers, Layers, Layers];
  const fixed = fixManifestLayers(manifestOf(dedupe));
  assert.deepEqual(
    fixed.history.map((h) => (JSON.parse(h.v1Compatibility) as { id: string }).id),
    [dedupe[0]![0], dedupe[2]![0]],
  );
  assert.deepEqual(fixed.fsLayers, [{ blobSum: dedupe[1]![2] }, { blobSum: dedupe[2]![2] }]);
  assert.deepEqual(fixManifestLayers(fixed), fixed);
  assert.throws(() => fixManifestLayers(manifestOf(baseWithParent)), /base layer/);
  assert.throws(() => fixManifestLayers(manifestOf(wrongParent)), /parent/);
});

test('fixManifestLayers rejects bad IDs and non-adjacent repeats', () => {
  const a = 'a'.repeat(64);
  const b = 'b'.repeat(64);
  assert.throws(
    () =>
      fixManifestLayers(
        manifestOf([
          [a, b, ''],
          [b, a, ''],
          [a, '', ''],
        ]),
      ),
    /more than once/,
  );
  assert.throws(
    () => fixManifestLayers(manifestOf([['../x', '', '']])),
    (err) => isShaleError(err, 'ERR_INVALID_ARGUMENT'),
  );
});

test('sign → parse → verify → digest round trip; throwaway layers become empty history', () => {
  const key = generateSchema1SigningKey();
  const empty = asDigest(vectors.wellKnown.emptyTarDiffID.value);
  const manifest: Schema1Manifest = {
    schemaVersion: 1,
    name: 'library/demo',
    tag: 'v1',
    architecture: 'amd64',
    fsLayers: [{ blobSum: vectors.schema1ManifestDigest.expectedFSLayer0 }, { blobSum: empty }],
    history: [
      {
        v1Compatibility: `{"id":"${'b'.repeat(64)}","parent":"${'a'.repeat(64)}","throwaway":true,"created":"2020-01-01T00:00:00Z","docker_version":"1.10.0"}`,
      },
      { v1Compatibility: `{"id":"${'a'.repeat(64)}","created":"2019-01-01T00:00:00Z"}` },
    ],
  };
  const document = signSchema1Manifest(manifest, key, new Date('2024-05-06T07:08:09.123Z'));
  const parsed = parseSchema1Manifest(document);
  assert.deepEqual(parsed.manifest, manifest);
  assert.equal(verifySchema1Signatures(parsed).length, 1);
  assert.match(text(document), /^\{\n {3}"schemaVersion": 1,\n {3}"name": "library\/demo",/);
  assert.match(text(document), /\n {3}"signatures": \[\n {6}\{\n {9}"header": \{/);
  assert.ok(text(document).endsWith('\n   ]\n}'));
  assert.equal(parsed.digest, parseSchema1Manifest(parsed.payload).digest);
  assert.throws(
    () => verifySchema1Signatures(parseSchema1Manifest(parsed.payload)),
    (err) => isShaleError(err, 'ERR_INVALID_ARGUMENT'),
  );

  assert.equal(isThrowaway(manifest.history[0]!.v1Compatibility), true);
  assert.equal(isThrowaway(manifest.history[1]!.v1Compatibility), false);
  assert.deepEqual(schema1LayersToFetch(parsed.manifest), [empty]);
  const config = JSON.parse(text(schema1ImageConfig(parsed.manifest, [empty]))) as {
    rootfs: unknown;
    history: unknown;
    throwaway?: boolean;
  };
  assert.deepEqual(config.rootfs, { type: 'layers', diff_ids: [empty] });
  assert.deepEqual(config.history, [
    { created: '2019-01-01T00:00:00Z' },
    { created: '2020-01-01T00:00:00Z', empty_layer: true },
  ]);
  assert.equal(config.throwaway, undefined);
  assert.throws(
    () => schema1ImageConfig(parsed.manifest, []),
    (err) => isShaleError(err),
  );
});
