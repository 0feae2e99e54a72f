// `copyImage` from the store (`store:REF`, a reference or image ID as push takes it), against a
// real Distribution registry with skopeo as the oracle: a pulled image goes to a registry, an
// oci-archive and a layout with the manifest digest it was pulled with; an imported image (a
// plain layer, no manifest of its own from elsewhere) goes with its own manifest, the layer
// gzip'd, and skopeo reads it; a reference the store lacks, and a `store:` source without a store
// are refused clearly and write nothing. (The store as a destination: copy-into-store.test.ts.)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { isShaleError, type ErrorCode } from '../../src/core/index.ts';
import { copyImage } from '../../src/formats/index.ts';
import { pullImage, RegistryClient } from '../../src/registry/index.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import { importRootfs } from '../../src/trees/index.ts';
import { publish } from '../helpers/publish.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { skopeoRaw } from '../helpers/skopeo-inspect.ts';
import { buildSmallFixture } from '../helpers/small-fixture.ts';

const run = promisify(execFile);

let registry: TestRegistry;
let client: RegistryClient;
let store: Store;
let work: string;
let layout: string;

before(async () => {
  work = fs.mkdtempSync(path.join(tmpdir(), 'shale-copy-store-'));
  await buildSmallFixture(path.join(work, 'small'));
  layout = path.join(work, 'small', 'oci');
  registry = await startRegistry();
  client = new RegistryClient();
  store = await openStore(path.join(work, 'store'));
});

after(async () => {
  await client?.close();
  await registry?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

const sha256 = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

async function rejectsWith(promise: Promise<unknown>, code: ErrorCode, pattern: RegExp) {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(isShaleError(err, code), `expected ShaleError ${code}, got ${String(err)}`);
    assert.match(err.message, pattern);
    return true;
  });
}

test('a pulled image goes from the store to a registry, an oci-archive and a layout with the digest it was pulled with', async () => {
  for (const format of ['oci', 'v2s2'] as const) {
    const source = `${registry.host}/store/src:${format}`;
    await publish(layout, 'small', source, format);
    const pulled = await pullImage(store, client, source);
    const expected = sha256(await skopeoRaw(`docker://${source}`));
    assert.equal(pulled.digest, expected);

    const pushed = await copyImage(
      `store:${source}`,
      `docker://${registry.host}/store/dst:${format}`,
      {
        client,
        store,
      },
    );
    assert.equal(pushed.digest, expected);
    assert.equal(
      sha256(await skopeoRaw(`docker://${registry.host}/store/dst:${format}`)),
      expected,
    );

    const archive = path.join(work, `${format}.tar`);
    const archived = await copyImage(`store:${source}`, `oci-archive:${archive}:v1`, { store });
    assert.equal(archived.digest, expected);
    // skopeo 1.9 names only OCI-typed entries of a layout: a schema2 one is read back by shale.
    if (format === 'oci')
      assert.equal(sha256(await skopeoRaw(`oci-archive:${archive}:v1`)), expected);
    const back = `${registry.host}/store/back:${format}`;
    await copyImage(`oci-archive:${archive}:v1`, `docker://${back}`, { client });
    assert.equal(sha256(await skopeoRaw(`docker://${back}`)), expected);

    const dir = path.join(work, `layout-${format}`);
    await copyImage(`store:${pulled.id}`, `oci:${dir}:by-id`, { store });
    const own = JSON.parse((await skopeoRaw(`oci:${dir}:by-id`)).toString('utf8')) as {
      config: { digest: string };
    };
    assert.equal(own.config.digest, pulled.id, 'an image ID goes with a manifest of that config');
  }
});

test("an imported image goes with its own manifest, its plain layer gzip'd, and skopeo reads it", async () => {
  const tree = path.join(work, 'tree');
  fs.mkdirSync(path.join(tree, 'etc'), { recursive: true });
  fs.writeFileSync(path.join(tree, 'etc', 'motd'), 'copied from the store\n');
  const id = await importRootfs(store, tree);
  const dir = path.join(work, 'imported');
  const copied = await copyImage(`store:${id}`, `oci:${dir}:imported`, { store });
  const manifest = JSON.parse((await skopeoRaw(`oci:${dir}:imported`)).toString('utf8')) as {
    config: { digest: string };
    layers: { mediaType: string }[];
  };
  assert.equal(copied.digest, sha256(await skopeoRaw(`oci:${dir}:imported`)));
  assert.equal(manifest.config.digest, id);
  assert.deepEqual(
    manifest.layers.map((l) => l.mediaType),
    ['application/vnd.oci.image.layer.v1.tar+gzip'],
  );
  // skopeo reads every blob (and checks each digest) copying the layout on.
  await run('skopeo', [
    'copy',
    '--quiet',
    `oci:${dir}:imported`,
    `oci:${path.join(work, 'again')}:x`,
  ]);
});

test('a reference the store lacks, and no store: clear errors, nothing written', async () => {
  const archive = path.join(work, 'missing.tar');
  await rejectsWith(
    copyImage('store:example.com/not/here:1', `oci-archive:${archive}`, { store }),
    'ERR_NOT_FOUND',
    /not\/here/,
  );
  assert.equal(fs.existsSync(archive), false);
  assert.deepEqual(
    fs.readdirSync(work).filter((n) => n.startsWith('missing.tar')),
    [],
    'no temporary file either',
  );
  await rejectsWith(
    copyImage('store:example.com/x:1', `oci:${path.join(work, 'none')}`),
    'ERR_INVALID_ARGUMENT',
    /needs the store/,
  );
});
