// The configs `shale import` and `shale commit` write, through the built binary: import writes
// docker import's config (comment, created, config with --change applied, platform, rootfs, one
// history entry with the comment); commit keeps the base's config (plus --change) and platform,
// drops what described the base's own making (container, container_config, docker_version,
// comment, author), records --author and -m, and marks a commit without changes `empty_layer`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Digest } from '../../src/core/digest.ts';
import { openStore } from '../../src/store/index.ts';
import { runShale } from '../helpers/shale.ts';

const example = fileURLToPath(new URL('../../examples/rootfs', import.meta.url));

function shale(root: string, ...args: string[]): string {
  const r = runShale(['--root', root, ...args]);
  assert.equal(r.status, 0, `shale ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function rawConfig(root: string, id: string): Promise<Record<string, unknown>> {
  const store = await openStore(root);
  return JSON.parse((await store.images.config(id as Digest)).bytes.toString('utf8')) as Record<
    string,
    unknown
  >;
}

test("import -c -m writes docker import's config; a bad --change is a shale: error", async () => {
  const root = path.join(mkdtempSync(path.join(tmpdir(), 'shale-cfg-')), 'store');
  const id = shale(
    root,
    'import',
    example,
    'cfg:base',
    '-c',
    'ENV A=1',
    '--change',
    'CMD ["sh"]',
    '-m',
    'made by hand',
  ).trim();
  const config = await rawConfig(root, id);
  assert.deepEqual(Object.keys(config), [
    'architecture',
    'comment',
    'config',
    'created',
    'history',
    'os',
    'rootfs',
  ]);
  assert.equal(config.comment, 'made by hand');
  assert.deepEqual(config.history, [{ created: config.created, comment: 'made by hand' }]);
  const run = config.config as { Env: string[]; Cmd: string[]; Hostname: string };
  assert.deepEqual([run.Env, run.Cmd, run.Hostname], [['A=1'], ['sh'], '']);

  const plain = shale(root, 'import', example).trim();
  assert.equal((await rawConfig(root, plain)).comment, `Imported from ${example}`);

  const bad = runShale(['--root', root, 'import', example, 'cfg:bad', '-c', 'RUN make']);
  assert.equal(bad.status, 1);
  assert.equal(bad.stderr, 'shale: invalid --change: run is not a valid change command\n');
  assert.equal(runShale(['--root', root, 'inspect', 'cfg:bad']).status, 1, 'nothing was tagged');
});

test('commit does not inherit container, container_config, docker_version; takes -c, -a, -m', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'shale-cfg-'));
  const root = path.join(dir, 'store');
  const imported = shale(root, 'import', example).trim();
  // a base as Docker would have made it: with the fields of its own making
  const store = await openStore(root);
  const dockerMade = {
    ...(await rawConfig(root, imported)),
    author: 'Base Author',
    comment: 'base comment',
    container: 'c0ffee',
    container_config: { Hostname: 'c0ffee', Cmd: ['/bin/sh', '-c', 'make'] },
    docker_version: '20.10.24',
    variant: 'v8',
  };
  const base = await store.images.create(Buffer.from(JSON.stringify(dockerMade)));
  const tree = path.join(dir, 'tree');
  shale(root, 'checkout', base.id, tree);
  writeFileSync(path.join(tree, 'etc/new.conf'), 'new\n');
  const id = shale(
    root,
    'commit',
    tree,
    'cfg:child',
    '-a',
    'Jane',
    '-m',
    'edited',
    '-c',
    'ENV B=2',
    '-c',
    'EXPOSE 80',
  ).trim();
  const config = await rawConfig(root, id);
  for (const key of ['container', 'container_config', 'docker_version', 'comment'])
    assert.equal(key in config, false, key);
  assert.equal(config.author, 'Jane');
  assert.equal(config.variant, 'v8');
  const history = config.history as Record<string, unknown>[];
  assert.deepEqual(history.at(-1), {
    created: config.created,
    author: 'Jane',
    created_by: 'shale commit',
    comment: 'edited',
  });
  const run = config.config as { Env: string[]; ExposedPorts: object };
  assert.deepEqual(run.Env, ['B=2']);
  assert.deepEqual(run.ExposedPorts, { '80/tcp': {} });

  const [view] = JSON.parse(shale(root, 'inspect', 'cfg:child')) as Record<string, unknown>[];
  assert.deepEqual(
    [view!.Comment, view!.Author, view!.Container, view!.DockerVersion, view!.Variant],
    ['edited', 'Jane', '', '', 'v8'],
  );
  assert.notEqual((view!.Metadata as { LastTagTime: string }).LastTagTime, '0001-01-01T00:00:00Z');

  // nothing changed: Docker's empty layer — no new diff_id, the entry marked empty_layer
  const again = shale(root, 'commit', tree).trim();
  const empty = await rawConfig(root, again);
  assert.deepEqual(
    (empty.rootfs as { diff_ids: string[] }).diff_ids,
    (config.rootfs as { diff_ids: string[] }).diff_ids,
  );
  assert.equal((empty.history as { empty_layer?: boolean }[]).at(-1)!.empty_layer, true);
});
