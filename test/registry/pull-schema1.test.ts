// Schema1 pulls from the Distribution registry with schema1 compatibility on (published by skopeo
// as v2s1, signed): the image ID equals the one Docker 20.10 computes when it pulls the same
// manifest (MakeConfigFromV1Config, spec §4.4), and the tree equals umoci's unpack of the source.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ensureFixture } from '../../support/fixtures/image.ts';
import { DEFAULTS, PRESETS } from '../../support/fixtures/presets.ts';
import { snapshot } from '../helpers/changes-tree.ts';
import { startDockerDaemon, type DockerDaemon } from '../helpers/docker-daemon.ts';
import { publish } from '../helpers/publish.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { runShale } from '../helpers/shale.ts';

let registry: TestRegistry;
let daemon: DockerDaemon;
let work: string;
let layout: string;

before(async () => {
  work = fs.mkdtempSync(path.join(tmpdir(), 'shale-schema1-'));
  // The project's `small` fixture: schema1 needs history entries, which it has.
  const fixture = await ensureFixture({
    dir: path.join(work, 'small'),
    name: 'small',
    params: { ...DEFAULTS, ...PRESETS.small },
    log: () => undefined,
  });
  layout = path.join(fixture.dir, 'oci');
  registry = await startRegistry({ schema1: true });
  await publish(layout, 'small', `${registry.host}/legacy/small:s1`, 'v2s1');
  daemon = await startDockerDaemon();
});

after(async () => {
  await daemon?.stop();
  await registry?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

test('a schema1 pull gets the image ID Docker computes and the same tree as umoci', async () => {
  const ref = `${registry.host}/legacy/small:s1`;
  const manifest = await fetch(`http://${registry.host}/v2/legacy/small/manifests/s1`, {
    headers: { accept: 'application/vnd.docker.distribution.manifest.v1+prettyjws' },
  });
  assert.equal(
    manifest.headers.get('content-type'),
    'application/vnd.docker.distribution.manifest.v1+prettyjws',
  );
  const root = path.join(work, 'store');
  const pulled = runShale(['--root', root, 'pull', '-q', ref]);
  assert.equal(pulled.status, 0, pulled.stderr);
  daemon.docker(['pull', '-q', ref]);
  const dockerId = daemon.docker(['image', 'inspect', '--format', '{{.Id}}', ref]).trim();
  assert.equal(pulled.stdout.trim(), dockerId);

  // Every history entry got a legacy ID (strong IDs, spec §3.2); a second pull keeps them.
  const inspect = () =>
    (
      JSON.parse(runShale(['--root', root, 'inspect', '--json', ref]).stdout) as [
        { LegacyIds: string[] },
      ]
    )[0].LegacyIds;
  const legacyIds = inspect();
  const { history } = (await manifest.json()) as { history: unknown[] };
  assert.equal(legacyIds.length, history.length);
  for (const id of legacyIds) assert.match(id, /^[0-9a-f]{64}$/);
  assert.equal(runShale(['--root', root, 'pull', '-q', ref]).stdout, pulled.stdout);
  assert.deepEqual(inspect(), legacyIds);
  const byLegacy = runShale(['--root', root, 'inspect', '--json', legacyIds[0]!]);
  assert.equal(byLegacy.status, 0, byLegacy.stderr);

  const out = path.join(work, 'unpacked');
  const unpack = runShale(['--root', root, 'unpack', ref, out]);
  assert.equal(unpack.status, 0, unpack.stderr);
  execFileSync('umoci', ['unpack', '--image', `${layout}:small`, path.join(work, 'bundle')]);
  assert.deepEqual(snapshot(out), snapshot(path.join(work, 'bundle', 'rootfs')));
});
