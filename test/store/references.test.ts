// References: tags and digest references under a cross-process lock, mirrored into index.json so
// that skopeo reads every tagged image straight from the store root.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isShaleError } from '../../src/core/errors.ts';
import { parseDockerRef } from '../../src/core/reference.ts';
import { openStore } from '../../src/store/index.ts';
import { tarBytes } from '../../support/tar-bytes.ts';

const CHILD = fileURLToPath(new URL('../helpers/tag-child.ts', import.meta.url));

async function storeWithImage() {
  const root = path.join(mkdtempSync(path.join(tmpdir(), 'shale-refs-')), 'store');
  const store = await openStore(root);
  const tar = await tarBytes([
    { header: { name: 'etc/motd', size: 6 }, body: Buffer.from('hello\n') },
  ]);
  const gz = spawnSync('gzip', ['-c', '-n'], { input: tar }).stdout;
  const { digest } = await store.content.put(gz);
  const layer = await store.layers.registerBlob(undefined, digest);
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Cmd: ['/bin/sh'] },
      rootfs: { type: 'layers', diff_ids: [layer.diffId] },
    }),
  );
  const image = await store.images.create(config);
  return { root, store, image, layer, tar };
}

interface Index {
  manifests: { digest: string; annotations: Record<string, string> }[];
}

test('tags resolve, list and mirror into index.json with full reference names', async () => {
  const { root, store, image } = await storeWithImage();
  await store.references.set(parseDockerRef('alpine'), image.id);
  await store.references.set(parseDockerRef('127.0.0.1:5000/a/b:t'), image.id);
  assert.equal(
    await store.references.resolve(parseDockerRef('docker.io/library/alpine:latest')),
    image.id,
  );
  assert.deepEqual(await store.references.referencesOf(image.id), [
    '127.0.0.1:5000/a/b:t',
    'docker.io/library/alpine:latest',
  ]);
  const index = JSON.parse(readFileSync(path.join(root, 'index.json'), 'utf8')) as Index;
  assert.deepEqual(
    index.manifests.map((m) => m.annotations['org.opencontainers.image.ref.name']),
    ['127.0.0.1:5000/a/b:t', 'docker.io/library/alpine:latest'],
  );
  assert.equal(index.manifests[0]!.annotations['io.containerd.image.name'], '127.0.0.1:5000/a/b:t');
  assert.deepEqual(
    await store.references.delete([
      'docker.io/library/alpine:latest',
      'docker.io/library/nope:latest',
    ]),
    ['docker.io/library/alpine:latest'],
  );
  assert.equal(
    (JSON.parse(readFileSync(path.join(root, 'index.json'), 'utf8')) as Index).manifests.length,
    1,
  );
});

test('references need a tag or digest and an existing image', async () => {
  const { store, image } = await storeWithImage();
  const { parseNormalizedNamed } = await import('../../src/core/reference.ts');
  await assert.rejects(store.references.set(parseNormalizedNamed('alpine'), image.id), (e) =>
    isShaleError(e, 'ERR_INVALID_ARGUMENT'),
  );
  await assert.rejects(
    store.references.set(parseDockerRef('alpine'), `sha256:${'0'.repeat(64)}` as typeof image.id),
    (e) => isShaleError(e, 'ERR_NOT_FOUND'),
  );
});

test('skopeo reads a tagged image from the store root and copies it to a docker-archive', async () => {
  const { root, store, image, layer } = await storeWithImage();
  await store.references.set(parseDockerRef('shale/test:1'), image.id);
  const ref = `oci:${root}:docker.io/shale/test:1`;
  const config = JSON.parse(
    execFileSync('skopeo', ['inspect', '--config', ref], { encoding: 'utf8' }),
  ) as {
    rootfs: { diff_ids: string[] };
  };
  assert.deepEqual(config.rootfs.diff_ids, [layer.diffId]);
  const archive = path.join(mkdtempSync(path.join(tmpdir(), 'shale-skopeo-')), 'image.tar');
  execFileSync('skopeo', ['copy', '-q', ref, `docker-archive:${archive}:shale/test:1`]);
  const manifest = JSON.parse(
    execFileSync('tar', ['-xOf', archive, 'manifest.json'], { encoding: 'utf8' }),
  ) as {
    Config: string;
    RepoTags: string[];
  }[];
  assert.equal(manifest[0]!.Config, `${image.id.slice('sha256:'.length)}.json`);
  assert.deepEqual(manifest[0]!.RepoTags, ['docker.io/shale/test:1']);
});

test('processes tagging at the same time lose no reference', async () => {
  const { root, store, image } = await storeWithImage();
  const run = (refs: string[]) =>
    new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', CHILD, root, image.id, ...refs], {
        stdio: 'inherit',
      });
      child.on('exit', resolve);
    });
  const a = Array.from({ length: 8 }, (_, i) => `repo/a:${i}`);
  const b = Array.from({ length: 8 }, (_, i) => `repo/b:${i}`);
  assert.deepEqual(await Promise.all([run(a), run(b)]), [0, 0]);
  const refs = await store.references.referencesOf(image.id);
  assert.equal(refs.length, 16);
  const index = JSON.parse(readFileSync(path.join(root, 'index.json'), 'utf8')) as Index;
  assert.equal(index.manifests.length, 16);
});

test('a writer killed between references.json and index.json: the next open brings index.json in line', async () => {
  const { root, store, image } = await storeWithImage();
  await store.references.set(parseDockerRef('kept:1'), image.id);
  await store.references.set(parseDockerRef('gone:1'), image.id);
  const indexBefore = readFileSync(path.join(root, 'index.json'), 'utf8');
  // What the killed writer left: references.json of the next generation (gone:1 untagged,
  // added:1 tagged), index.json still of the one before.
  const refsFile = path.join(root, 'shale', 'references.json');
  const written = JSON.parse(readFileSync(refsFile, 'utf8')) as {
    generation: number;
    references: Record<string, unknown>;
  };
  delete written.references['docker.io/library/gone:1'];
  written.references['docker.io/library/added:1'] = written.references['docker.io/library/kept:1'];
  writeFileSync(refsFile, JSON.stringify({ ...written, generation: written.generation + 1 }));
  assert.equal(readFileSync(path.join(root, 'index.json'), 'utf8'), indexBefore);

  await openStore(root);
  const index = JSON.parse(readFileSync(path.join(root, 'index.json'), 'utf8')) as Index;
  assert.deepEqual(
    index.manifests.map((m) => m.annotations['org.opencontainers.image.ref.name']).sort(),
    ['docker.io/library/added:1', 'docker.io/library/kept:1'],
  );
  const again = readFileSync(path.join(root, 'index.json'), 'utf8');
  await openStore(root);
  assert.equal(readFileSync(path.join(root, 'index.json'), 'utf8'), again, 'in line: left alone');
});
