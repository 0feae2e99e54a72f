// Python's Docker SDK (Debian's python3-docker, run by Debian's /usr/bin/python3) through the
// `shale serve` socket: it pulls an image from the real registry, lists it, tags it and removes
// it, and the shale CLI sees each step in the same store.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { publish, remoteDigest } from '../helpers/publish.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { startServe, type ServedShale } from '../helpers/serve.ts';
import { runShale } from '../helpers/shale.ts';
import { buildSmallFixture } from '../helpers/small-fixture.ts';

let work: string;
let root: string;
let registry: TestRegistry;
let served: ServedShale;
let small: string;

/** The steps, each printing one JSON line of what the SDK saw. */
const SCRIPT = `
import json, sys, docker
repo, tag = sys.argv[1], sys.argv[2]
client = docker.from_env()
image = client.images.pull(repo, tag=tag)
print(json.dumps({"pulled": image.id, "tags": image.tags, "digests": image.attrs["RepoDigests"]}))
print(json.dumps({"listed": sorted(t for i in client.images.list() for t in i.tags)}))
assert image.tag("sdk/copy", "v2")
print(json.dumps({"tagged": client.images.get("sdk/copy:v2").id}))
client.images.remove("sdk/copy:v2")
client.images.remove(repo + ":" + tag)
print(json.dumps({"left": [i.id for i in client.images.list(all=True)]}))
`;

before(async () => {
  work = fs.mkdtempSync(path.join(tmpdir(), 'shale-python-sdk-'));
  const smallLayout = path.join(work, 'small');
  await buildSmallFixture(smallLayout);
  registry = await startRegistry();
  small = `${registry.host}/peers/small`;
  await publish(path.join(smallLayout, 'oci'), 'small', `${small}:v1`, 'oci');
  root = path.join(work, 'root');
  served = await startServe(root);
});

after(async () => {
  if (served) assert.equal(await served.stop(), 0, served.stderr());
  await registry?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

test('the Python Docker SDK pulls, lists, tags and removes through shale serve', async () => {
  const run = spawnSync('/usr/bin/python3', ['-c', SCRIPT, small, 'v1'], {
    env: served.env,
    encoding: 'utf8',
  });
  assert.equal(run.status, 0, run.stderr);
  const [pulled, listed, tagged, left] = run.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  const pulledId = pulled!.pulled as string;
  assert.match(pulledId, /^sha256:[0-9a-f]{64}$/);
  assert.deepEqual(pulled!.tags, [`${small}:v1`]);
  assert.deepEqual(listed!.listed, [`${small}:v1`]);
  assert.equal(tagged!.tagged, pulledId);
  assert.deepEqual(left!.left, []);
  // the pull recorded the registry's digest, as dockerd does
  assert.deepEqual(pulled!.digests, [`${small}@${await remoteDigest(`${small}:v1`)}`]);
  // the removal left nothing behind
  assert.equal(runShale(['--root', root, 'images', '-aq']).stdout, '');
  assert.equal(runShale(['--root', root, 'fsck']).status, 0);
});
