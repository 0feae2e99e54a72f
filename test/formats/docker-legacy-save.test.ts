// `save --format docker-legacy` loses nothing: an image Docker 20.10 built (HEALTHCHECK, SHELL,
// ONBUILD, several empty layers) goes docker save → shale load → shale save --format docker-legacy
// → docker load into a fresh dockerd, which then shows the same config and every history entry;
// a schema1 pull (with throwaway entries) is saved under its legacy IDs and loads back with them;
// a legacy load saved again gives the same archive, byte for byte.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  dockerUnavailable,
  startDockerDaemon,
  type DockerDaemon,
} from '../helpers/docker-daemon.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { runShale } from '../helpers/shale.ts';

const skip = dockerUnavailable();
const work = fs.mkdtempSync(path.join(tmpdir(), 'shale-legacy-save-'));
const IMAGE = 'legacy/built:1';
/** DiffID of an empty tar (two zero blocks): what an empty layer becomes in a legacy archive. */
const EMPTY_TAR_DIFF_ID = 'sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef';
const DOCKERFILE = `FROM legacy/base:1
LABEL stage=test
ENV GREETING=hello
COPY added.txt /added.txt
SHELL ["/bin/sh", "-ec"]
HEALTHCHECK --interval=5s --timeout=3s CMD cat /added.txt
ONBUILD COPY . /app
CMD ["cat", "/added.txt"]
`;

interface DockerImage {
  Config: { Healthcheck?: unknown; Shell?: string[]; OnBuild?: string[] } & Record<string, unknown>;
  RootFS: { Layers: string[] };
}
interface ConfigHistory {
  created_by?: string;
  comment?: string;
  empty_layer?: boolean;
}

let registry: TestRegistry;
let dockerSave: string;
/** What the building daemon showed for the image. */
let built: { image: DockerImage; history: string; configHistory: ConfigHistory[] };

function shale(root: string, ...args: string[]): string {
  const r = runShale(['--root', root, ...args]);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

const legacyIds = (root: string, name: string): string[] =>
  (JSON.parse(shale(root, 'inspect', '--json', name)) as [{ LegacyIds: string[] }])[0].LegacyIds;

/** The top-level directories of a legacy archive, sorted. */
function archiveDirs(file: string): string[] {
  const names = execFileSync('tar', ['-tf', file], { encoding: 'utf8' }).trim().split('\n');
  return names.filter((n) => /^[a-f0-9]{64}\/$/.test(n)).map((n) => n.slice(0, 64));
}

/** `docker history` as "created_by | comment" lines, top first. */
const historyOf = (daemon: DockerDaemon, name: string): string =>
  daemon.docker(['history', '--no-trunc', '--format', '{{.CreatedBy}} | {{.Comment}}', name]);

const inspectOf = (daemon: DockerDaemon, name: string): DockerImage =>
  (JSON.parse(daemon.docker(['image', 'inspect', name])) as DockerImage[])[0]!;

before(async () => {
  if (skip) return;
  process.env.DOCKER_BUILDKIT = '0'; // the classic builder, which needs no network
  const daemon = await startDockerDaemon();
  try {
    const base = path.join(work, 'base');
    fs.mkdirSync(path.join(base, 'etc'), { recursive: true });
    fs.writeFileSync(path.join(base, 'etc', 'motd'), 'legacy base\n');
    const baseTar = path.join(work, 'base.tar');
    execFileSync('tar', ['-C', base, '-cf', baseTar, '.']);
    daemon.docker(['import', baseTar, 'legacy/base:1']);
    const context = path.join(work, 'context');
    fs.mkdirSync(context);
    fs.writeFileSync(path.join(context, 'Dockerfile'), DOCKERFILE);
    fs.writeFileSync(path.join(context, 'added.txt'), 'added by COPY\n');
    daemon.docker(['build', '-q', '--network', 'none', '-t', IMAGE, context]);
    dockerSave = path.join(work, 'docker-save.tar');
    daemon.docker(['save', '-o', dockerSave, IMAGE]);
    const configFile = (
      JSON.parse(
        execFileSync('tar', ['-xOf', dockerSave, 'manifest.json'], { encoding: 'utf8' }),
      ) as [{ Config: string }]
    )[0].Config;
    const config = JSON.parse(
      execFileSync('tar', ['-xOf', dockerSave, configFile], { encoding: 'utf8' }),
    ) as { history: ConfigHistory[] };
    built = {
      image: inspectOf(daemon, IMAGE),
      history: historyOf(daemon, IMAGE),
      configHistory: config.history,
    };
  } finally {
    await daemon.stop();
  }
  registry = await startRegistry({ schema1: true });
});

after(async () => {
  await registry?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

test(
  'docker build → docker save → shale load → save --format docker-legacy → docker load keeps config and history',
  { skip },
  async () => {
    const { image, configHistory } = built;
    assert.ok(image.Config.Healthcheck, 'the built image has a HEALTHCHECK');
    assert.deepEqual(image.Config.Shell, ['/bin/sh', '-ec']);
    assert.deepEqual(image.Config.OnBuild, ['COPY . /app']);
    const empties = configHistory.filter((h) => h.empty_layer === true).length;
    assert.ok(empties >= 5, `the built image has empty layers (${empties})`);

    const root = path.join(work, 'store-from-docker');
    shale(root, 'load', '-i', dockerSave);
    const legacy = path.join(work, 'legacy.tar');
    shale(root, 'save', '--format', 'docker-legacy', IMAGE, '-o', legacy);
    assert.equal(
      archiveDirs(legacy).length,
      configHistory.length,
      'one v1 image per history entry',
    );

    const fresh = await startDockerDaemon();
    try {
      // Docker's legacy load says nothing; the tag from `repositories` is what shows it worked.
      fresh.docker(['load', '-i', legacy]);
      const loaded = inspectOf(fresh, IMAGE);
      assert.deepEqual(loaded.Config, image.Config);
      assert.equal(historyOf(fresh, IMAGE), built.history);
      // The layers are the original ones, with an empty tar where each empty layer was.
      const original = [...image.RootFS.Layers];
      const expected = configHistory.map((h) =>
        h.empty_layer === true ? EMPTY_TAR_DIFF_ID : original.shift(),
      );
      assert.deepEqual(loaded.RootFS.Layers, expected);
    } finally {
      await fresh.stop();
    }
  },
);

test(
  'a schema1 pull saved as docker-legacy loads into an empty store with the same LegacyIds',
  { skip },
  () => {
    const ref = `${registry.host}/legacy/built:s1`;
    execFileSync('skopeo', [
      'copy',
      '--quiet',
      '--insecure-policy',
      '--dest-tls-verify=false',
      '--format',
      'v2s1',
      `docker-archive:${dockerSave}`,
      `docker://${ref}`,
    ]);
    const pulled = path.join(work, 'store-schema1');
    shale(pulled, 'pull', '-q', ref);
    const ids = legacyIds(pulled, ref);
    assert.equal(ids.length, built.configHistory.length, 'a legacy ID per history entry');

    const archive = path.join(work, 'schema1-legacy.tar');
    shale(pulled, 'save', '--format', 'docker-legacy', ref, '-o', archive);
    assert.deepEqual(archiveDirs(archive), [...ids].sort());
    const empty = path.join(work, 'store-schema1-reloaded');
    shale(empty, 'load', '-i', archive);
    assert.deepEqual(legacyIds(empty, ref), ids);
  },
);

test('legacy load → save --format docker-legacy gives back the same archive', { skip }, () => {
  const first = path.join(work, 'legacy.tar');
  const root = path.join(work, 'store-from-legacy');
  shale(root, 'load', '-i', first);
  assert.deepEqual([...legacyIds(root, IMAGE)].sort(), archiveDirs(first));
  const again = path.join(work, 'legacy-again.tar');
  shale(root, 'save', '--format', 'docker-legacy', IMAGE, '-o', again);
  assert.ok(fs.readFileSync(again).equals(fs.readFileSync(first)), 'the archives differ');
});
