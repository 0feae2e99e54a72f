// v1 JSON → 1.10 config (MakeConfigFromV1Config), graph migration vectors, legacy save IDs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { asDigest, type Digest } from '../../src/core/digest.ts';
import { isShaleError } from '../../src/core/errors.ts';
import { familiarString } from '../../src/core/reference/normalize.ts';
import {
  createV1Id,
  historyFromV1Json,
  legacyParentOf,
  legacySaveLayers,
  makeConfigFromV1Config,
  migrateLegacyImage,
  migrateLegacyTags,
  type MigratedImage,
} from '../../src/legacy/index.ts';
import { fixture } from '../helpers/fixtures.ts';

interface MigrationImage {
  json: string;
  diffID: string;
  legacyID?: string;
  legacyParentFile: string | null;
  expectedImageID: string;
}
const vectors = JSON.parse(readFileSync(fixture('ids', 'expected.json'), 'utf8')) as {
  migration: { chains: { label: string; images: MigrationImage[] }[] };
  migrationRefs: {
    legacyRepositoriesFile: string;
    mappings: Record<string, string>;
    expectedRefs: Record<string, string>;
  };
  wellKnown: { emptyTarDiffID: { value: string } };
};
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (data: Uint8Array): string => new TextDecoder().decode(data);
const EMPTY = asDigest(vectors.wellKnown.emptyTarDiffID.value);

test('migration vectors: every chain migrates to the expected image IDs', () => {
  assert.equal(vectors.migration.chains.length, 2);
  for (const chain of vectors.migration.chains) {
    let parent: MigratedImage | undefined;
    for (const image of chain.images) {
      parent = migrateLegacyImage(bytes(image.json), asDigest(image.diffID), parent);
      assert.equal(parent.id, image.expectedImageID, `${chain.label}: ${image.json.slice(0, 40)}`);
    }
    assert.equal(parent!.diffIds.length, chain.images.length);
  }
});

test('migration: the legacy parent comes from parent, parent_id or the parent file', () => {
  const [chain19, chain182] = vectors.migration.chains.map((chain) => chain.images) as [
    MigrationImage[],
    MigrationImage[],
  ];
  const base = chain182[0]!;
  assert.equal(legacyParentOf(bytes(base.json)), undefined);
  assert.equal(legacyParentOf(bytes(chain182[1]!.json)), base.legacyID);
  const child19 = bytes(chain19[1]!.json);
  assert.equal(
    legacyParentOf(child19),
    '039b63dd2cbaa10d6015ea574392530571ed8d7b174090f032211285a71881d0',
  );
  assert.equal(legacyParentOf(child19, `${base.legacyID}\n`), base.legacyID);
  assert.equal(legacyParentOf(bytes(`{"PARENT":"${base.legacyID}"}`)), base.legacyID);
  for (const bad of ['{"parent":"../../x"}', '{"parent_id":"sha256:12"}']) {
    assert.throws(
      () => legacyParentOf(bytes(bad)),
      (err) => isShaleError(err),
    );
  }
});

test('migrationRefs vector: tags and digest references of mapped images only', () => {
  const { legacyRepositoriesFile, mappings, expectedRefs } = vectors.migrationRefs;
  const mapping = new Map(Object.entries(mappings).map(([k, v]) => [k, asDigest(v)]));
  const refs = migrateLegacyTags(bytes(legacyRepositoriesFile), mapping);
  const actual = Object.fromEntries(refs.map((r) => [familiarString(r.reference), r.imageId]));
  assert.deepEqual(actual, expectedRefs);
  assert.equal(refs[0]!.reference.name(), 'docker.io/library/busybox');
});

test('MakeConfigFromV1Config: drops v1-only keys, adds rootfs and history, sorts keys', () => {
  const json = bytes(
    '{"id":"x","parent":"y","Size":1,"parent_id":"p","layer_id":"l","throwaway":true,' +
      '"docker_version":"1.10.0","created":"2016-01-01T00:00:00Z","author":"me & you",' +
      '"container_config":{"Cmd":["/bin/sh","-c","#(nop) CMD"]}}',
  );
  const history = [historyFromV1Json(json, true)];
  assert.equal(history[0]!.created_by, '/bin/sh -c #(nop) CMD');
  assert.equal(
    text(makeConfigFromV1Config(json, [EMPTY], history)),
    '{"author":"me \\u0026 you","container_config":{"Cmd":["/bin/sh","-c","#(nop) CMD"]},' +
      '"created":"2016-01-01T00:00:00Z","docker_version":"1.10.0","history":[{"created":' +
      '"2016-01-01T00:00:00Z","author":"me \\u0026 you","created_by":"/bin/sh -c #(nop) CMD",' +
      `"empty_layer":true}],"rootfs":{"type":"layers","diff_ids":["${EMPTY}"]}}`,
  );
  assert.match(text(makeConfigFromV1Config(json, [], [])), /"rootfs":\{"type":"layers"\}/);
});

test('CreateID: empty images below the top, the config on top, parents chained', () => {
  const config = bytes(vectors.migration.chains[0]!.images[1]!.json);
  const diffIds: Digest[] = [EMPTY, EMPTY];
  const layers = legacySaveLayers(config, diffIds);
  assert.equal(layers.length, 2);
  const [base, top] = layers as [(typeof layers)[0], (typeof layers)[0]];
  assert.equal(
    text(base.json),
    `{"id":"${base.id}","created":"0001-01-01T00:00:00Z","container_config":{"Hostname":"",` +
      '"Domainname":"","User":"","AttachStdin":false,"AttachStdout":false,"AttachStderr":false,' +
      '"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":null,"Cmd":null,"Image":"",' +
      '"Volumes":null,"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":null}}',
  );
  assert.equal(base.parent, undefined);
  assert.equal(top.parent, base.id);
  assert.equal(`sha256:${base.id}`, createV1Id(undefined, EMPTY));
  const chainId = asDigest(
    'sha256:c4ec1d6b4e29e1a6a1ab8c6a3e8aca3bc2e3328e95cfc0c9226b2b4a5e93d2a3',
  );
  assert.notEqual(createV1Id(config, chainId), createV1Id(undefined, chainId));
  const topJson = JSON.parse(text(top.json)) as Record<string, unknown>;
  assert.equal(topJson.parent, base.id);
  assert.equal(topJson.layer_id, undefined);
  assert.equal(topJson.created, '2015-10-31T22:22:55.613815829Z');
  assert.throws(
    () => legacySaveLayers(config, []),
    (err) => isShaleError(err, 'ERR_UNSUPPORTED'),
  );
});
