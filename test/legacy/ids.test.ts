// Strong IDs of Docker 1.8.3/1.9 schema1 pulls: MakeImageConfig vectors, the hash chain, probing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { imageIdOf } from '../../src/core/ids.ts';
import { isShaleError } from '../../src/core/errors.ts';
import {
  compareDockerVersions,
  makeImageConfig,
  parseSchema1Manifest,
  strongIdChain,
} from '../../src/legacy/index.ts';
import { nextProbeId } from '../../src/core/index.ts';
import { fixture } from '../helpers/fixtures.ts';

const vectors = JSON.parse(readFileSync(fixture('ids', 'expected.json'), 'utf8')) as {
  makeImageConfig: {
    cases: {
      v1Compatibility: string;
      layerID: string;
      parentID: string;
      expectedConfig: string;
      expectedStrongID: string;
    }[];
  };
  strongIDProbe: { start: string; next1: string; next2: string };
};
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (data: Uint8Array): string => new TextDecoder().decode(data);

test('MakeImageConfig vectors (fallback re-encode and raw path)', () => {
  assert.equal(vectors.makeImageConfig.cases.length, 2);
  for (const c of vectors.makeImageConfig.cases) {
    const config = makeImageConfig(bytes(c.v1Compatibility), c.layerID, c.parentID);
    assert.equal(text(config), c.expectedConfig);
    assert.equal(imageIdOf(config), c.expectedStrongID);
  }
});

test('MakeImageConfig keeps raw values of 1.8.3+ JSON byte for byte, compacted and HTML-escaped', () => {
  const json =
    '{"docker_version":"1.9.1", "z":[1.50, 2E3] ,"a":"\\u00e9\\/<&>\u2028","id":"x","Size":3}';
  const config = makeImageConfig(bytes(json), `sha256:${'a'.repeat(64)}`);
  assert.equal(
    text(config),
    `{"a":"\\u00e9\\/\\u003c\\u0026\\u003e\\u2028","docker_version":"1.9.1","layer_id":"sha256:${'a'.repeat(64)}","z":[1.50,2E3]}`,
  );
});

test('MakeImageConfig: duplicate keys (last wins) and byte-order key sorting', () => {
  const json =
    '{"docker_version":"1.10.0","b":1,"b":2,"\u00e9":0,"Z":0,"\ud83d\ude00":0,"\uffff":0}';
  const keys = Object.keys(
    JSON.parse(text(makeImageConfig(bytes(json), `sha256:${'b'.repeat(64)}`))) as object,
  );
  assert.deepEqual(keys, ['Z', 'b', 'docker_version', 'layer_id', 'é', '\uffff', '\ud83d\ude00']);
});

test('MakeImageConfig re-encodes pre-1.8.3 JSON through the 1.8.3 structures', () => {
  const json =
    '{"docker_version":"1.8.3-rc1","created":"2015-01-02T03:04:05.100+00:00","Unknown":1,' +
    '"container_config":{"cmd":"echo <hi>","Hostname":"h\\u0001\\t","VolumeDriver":"x","Labels":{"a":null}}}';
  const config = text(makeImageConfig(bytes(json), `sha256:${'c'.repeat(64)}`));
  assert.equal(
    config,
    '{"container_config":{"Hostname":"h\\u0001\\t","Domainname":"","User":"","AttachStdin":false,' +
      '"AttachStdout":false,"AttachStderr":false,"Tty":false,"OpenStdin":false,"StdinOnce":false,' +
      '"Env":null,"Cmd":["echo \\u003chi\\u003e"],"Image":"","Volumes":null,"VolumeDriver":"x",' +
      '"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":{"a":""}},' +
      '"created":"2015-01-02T03:04:05.1Z","docker_version":"1.8.3-rc1",' +
      `"layer_id":"sha256:${'c'.repeat(64)}"}`,
  );
});

test('MakeImageConfig rejects hostile input with ShaleError', () => {
  const good = bytes('{"docker_version":"1.9.0"}');
  const digest = `sha256:${'d'.repeat(64)}`;
  const cases: [Uint8Array, string, string | undefined, string][] = [
    [bytes('[1]'), digest, undefined, 'ERR_INVALID_ARGUMENT'],
    [bytes('{"a":1,}'), digest, undefined, 'ERR_INVALID_ARGUMENT'],
    [bytes('{"docker_version":5}'), digest, undefined, 'ERR_INVALID_ARGUMENT'],
    [bytes('{"created":"yesterday"}'), digest, undefined, 'ERR_INVALID_ARGUMENT'],
    [bytes('{"created":null}'), digest, undefined, 'ERR_INVALID_ARGUMENT'],
    [bytes('{"container_config":{"Env":"x"}}'), digest, undefined, 'ERR_INVALID_ARGUMENT'],
    [good, 'sha256:1234', undefined, 'ERR_INVALID_DIGEST'],
    [good, digest, 'not-a-digest', 'ERR_INVALID_DIGEST'],
    [bytes('['.repeat(5000)), digest, undefined, 'ERR_LIMIT'],
  ];
  for (const [json, layer, parent, code] of cases) {
    assert.throws(
      () => makeImageConfig(json, layer, parent),
      (err) => isShaleError(err, code as never),
    );
  }
});

test('docker_version comparison follows pkg/version', () => {
  const below = ['', '1.8.2', '1.8.3-rc1', '1.6.2', 'abc', '0.9.9.9'];
  const notBelow = ['1.8.3', '1.9.0-dev', '1.10.3', '1.8.3.0', '+1.9', '17.03.2-ce'];
  for (const v of below) assert.ok(compareDockerVersions(v, '1.8.3') < 0, v);
  for (const v of notBelow) assert.ok(compareDockerVersions(v, '1.8.3') >= 0, v);
  assert.ok(compareDockerVersions('99999999999999999999999', '9223372036854775807') === 0);
});

test('strong-ID chain: base first, each config names the parent strong ID', () => {
  const parsed = parseSchema1Manifest(
    readFileSync(fixture('ids', 'validate_manifest', 'good_manifest')),
  );
  const chain = strongIdChain(
    parsed.manifest.fsLayers.map((layer, i) => ({
      blobSum: layer.blobSum,
      v1Compatibility: bytes(parsed.manifest.history[i]!.v1Compatibility),
    })),
  );
  assert.equal(chain.length, 2);
  const [top, base] = chain as [(typeof chain)[0], (typeof chain)[0]];
  assert.equal(top.legacyId, 'af340544ed62de0680f441c71fa1a80cb084678fed42bae393e543faea3a572c');
  assert.equal(base.legacyId, '535020c3e8add9d6bb06e5ac15a261e73d9b213d62fb2c14d752b8e189b2b912');
  assert.equal((JSON.parse(text(base.config)) as { parent_id?: string }).parent_id, undefined);
  assert.equal((JSON.parse(text(top.config)) as { parent_id: string }).parent_id, base.strongId);
  assert.equal(top.strongId, imageIdOf(top.config));
});

test('ID probing: next = sha256 of the previous hex text', () => {
  const { start, next1, next2 } = vectors.strongIDProbe;
  assert.equal(nextProbeId(start), next1);
  assert.equal(nextProbeId(next1), next2);
  for (const bad of [`sha256:${start}`, start.toUpperCase(), start.slice(1), '../etc']) {
    assert.throws(
      () => nextProbeId(bad),
      (err) => isShaleError(err, 'ERR_INVALID_ARGUMENT'),
    );
  }
});
