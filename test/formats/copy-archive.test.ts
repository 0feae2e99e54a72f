// `copyImage` with the archive endpoints (`oci-archive:PATH[:REF]`, `docker-archive:PATH[:REF]`)
// against real Distribution registries, with skopeo as the oracle: archives skopeo and `shale
// save` write are read with the digests skopeo reports; archives shale writes are read back by
// skopeo (registry → oci-archive → registry keeps the manifest digest; a docker-archive keeps
// the config digest, its manifest being the one skopeo then reports); an index into a
// docker-archive asks for --platform; a truncated archive, a missing REF or a blob that is not
// what its digest says fails with a ShaleError and leaves no file behind.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import { promisify } from 'node:util';
import { isShaleError, type ErrorCode } from '../../src/core/index.ts';
import { copyImage, saveImages } from '../../src/formats/index.ts';
import { loadArchive } from '../../src/formats/load/index.ts';
import { RegistryClient } from '../../src/registry/index.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import { publish } from '../helpers/publish.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { dockerUnavailable, startDockerDaemon } from '../helpers/docker-daemon.ts';
import { rawDigest, skopeoRaw } from '../helpers/skopeo-inspect.ts';
import { buildSmallFixture } from '../helpers/small-fixture.ts';

const run = promisify(execFile);

let registry: TestRegistry;
let client: RegistryClient;
let work: string;
let layout: string;

before(async () => {
  work = fs.mkdtempSync(path.join(tmpdir(), 'shale-copy-archive-'));
  await buildSmallFixture(path.join(work, 'small'));
  layout = path.join(work, 'small', 'oci');
  registry = await startRegistry();
  client = new RegistryClient();
});

after(async () => {
  await client?.close();
  await registry?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

const sha256 = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

async function skopeo(...args: string[]): Promise<Buffer> {
  const { stdout } = await run('skopeo', args, { encoding: 'buffer' });
  return stdout;
}

/** The config digest of the image manifest skopeo reads for `transportRef`. */
async function configDigest(transportRef: string): Promise<string> {
  const manifest = JSON.parse((await skopeoRaw(transportRef)).toString('utf8')) as {
    config: { digest: string };
  };
  return manifest.config.digest;
}

/** A fresh directory under the test's work directory. */
function freshDir(name: string): string {
  const dir = path.join(work, name);
  fs.mkdirSync(dir);
  return dir;
}

/** `shale save` of `names` from `store` into `file`, in `format`. */
async function saveTo(store: Store, names: string[], format: 'docker' | 'oci', file: string) {
  const output = fs.createWriteStream(file);
  await saveImages(store, names, { format, output });
  output.end();
  await finished(output);
}

async function rejectsWith(promise: Promise<unknown>, code: ErrorCode, pattern: RegExp) {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(isShaleError(err, code), `expected ShaleError ${code}, got ${String(err)}`);
    assert.match(err.message, pattern);
    return true;
  });
}

test('oci-archive from skopeo and from shale save → registry and → layout: the digests skopeo reports', async () => {
  const dir = freshDir('oa-source');
  const bySkopeo = path.join(dir, 'skopeo.tar');
  await skopeo('copy', '--quiet', `oci:${layout}:small`, `oci-archive:${bySkopeo}:small`);
  const expected = await rawDigest(`oci-archive:${bySkopeo}:small`);

  const pushed = await copyImage(
    `oci-archive:${bySkopeo}:small`,
    `docker://${registry.host}/oa/src:v1`,
    { client },
  );
  assert.equal(pushed.digest, expected);
  assert.equal(await rawDigest(`docker://${registry.host}/oa/src:v1`), expected);

  const unpacked = await copyImage(`oci-archive:${bySkopeo}`, `oci:${dir}/layout:x`);
  assert.equal(unpacked.digest, expected, 'the only image, without REF');
  assert.equal(await rawDigest(`oci:${dir}/layout:x`), expected);

  // The same image through the store: `shale save --format oci` names it by its full reference.
  const store = await openStore(path.join(dir, 'store'));
  await loadArchive(store, fs.createReadStream(bySkopeo), { name: 'example.com/small' });
  const bySave = path.join(dir, 'save.tar');
  await saveTo(store, ['example.com/small:small'], 'oci', bySave);
  const saved = `oci-archive:${bySave}:example.com/small:small`;
  const fromSave = await copyImage(saved, `docker://${registry.host}/oa/save:v1`, { client });
  assert.equal(fromSave.digest, await rawDigest(saved));
  assert.equal(await rawDigest(`docker://${registry.host}/oa/save:v1`), fromSave.digest);
});

test('registry → oci-archive → registry: skopeo reads the archive, the manifest digest survives', async () => {
  const dir = freshDir('oa-trip');
  await publish(layout, 'small', `${registry.host}/trip/src:oci`, 'oci');
  await publish(layout, 'small', `${registry.host}/trip/src:docker`, 'v2s2');
  for (const tag of ['oci', 'docker']) {
    const source = `docker://${registry.host}/trip/src:${tag}`;
    const digest = await rawDigest(source);
    const archive = path.join(dir, `${tag}.tar`);
    const out = await copyImage(source, `oci-archive:${archive}:${tag}`, { client });
    assert.equal(out.digest, digest);
    assert.equal(out.destination, `oci-archive:${archive}:${tag}`);
    const back = await copyImage(
      `oci-archive:${archive}:${tag}`,
      `docker://${registry.host}/trip/dst:${tag}`,
      { client },
    );
    assert.equal(back.digest, digest);
    assert.equal(await rawDigest(`docker://${registry.host}/trip/dst:${tag}`), digest);
  }
  // skopeo 1.9 reads only OCI-typed entries of an index.json, so it is the oracle for that one.
  const oci = path.join(dir, 'oci.tar');
  const digest = await rawDigest(`docker://${registry.host}/trip/src:oci`);
  assert.equal(await rawDigest(`oci-archive:${oci}:oci`), digest);
  await skopeo('copy', '--quiet', `oci-archive:${oci}:oci`, `oci:${dir}/by-skopeo:oci`);
  assert.equal(await rawDigest(`oci:${dir}/by-skopeo:oci`), digest);
  assert.deepEqual(
    fs.readdirSync(dir).sort(),
    ['by-skopeo', 'docker.tar', 'oci.tar'],
    'no temporary file is left',
  );

  // layout → oci-archive, the other local direction
  const fromLayout = path.join(dir, 'layout.tar');
  const written = await copyImage(`oci:${layout}:small`, `oci-archive:${fromLayout}`);
  assert.equal(written.digest, await rawDigest(`oci:${layout}:small`));
  assert.equal(await rawDigest(`oci-archive:${fromLayout}`), written.digest);
});

test('docker-archive from skopeo and from shale save: the schema2 manifest skopeo presents, copied as is', async () => {
  const dir = freshDir('da-source');
  const bySkopeo = path.join(dir, 'skopeo.tar');
  await skopeo(
    'copy',
    '--quiet',
    `oci:${layout}:small`,
    `docker-archive:${bySkopeo}:example.com/small:v1`,
  );
  const expected = await rawDigest(`docker-archive:${bySkopeo}`);

  const pushed = await copyImage(
    `docker-archive:${bySkopeo}:example.com/small:v1`,
    `docker://${registry.host}/da/src:v1`,
    { client },
  );
  assert.equal(pushed.digest, expected);
  assert.equal(await rawDigest(`docker://${registry.host}/da/src:v1`), expected);
  assert.equal(
    await configDigest(`docker://${registry.host}/da/src:v1`),
    await configDigest(`oci:${layout}:small`),
    'the config (the image ID) is the source image’s',
  );

  const unpacked = await copyImage(`docker-archive:${bySkopeo}:@0`, `oci:${dir}/layout`);
  assert.equal(unpacked.digest, expected);
  assert.equal(await rawDigest(`oci:${dir}/layout`), expected);

  // `shale save` (the Docker 25+ dual layout, legacy layer.tar symlinks included)
  const store = await openStore(path.join(dir, 'store'));
  await loadArchive(store, fs.createReadStream(bySkopeo));
  const bySave = path.join(dir, 'save.tar');
  await saveTo(store, ['example.com/small:v1'], 'docker', bySave);
  const fromSave = await copyImage(
    `docker-archive:${bySave}`,
    `docker://${registry.host}/da/save:v1`,
    {
      client,
    },
  );
  assert.equal(fromSave.digest, await rawDigest(`docker-archive:${bySave}`));
  assert.equal(fromSave.digest, expected, 'same config and layers, same presented manifest');
});

test('registry and layout → docker-archive: skopeo loads it, the config digest is kept, the manifest is the new one', async () => {
  const dir = freshDir('da-sink');
  await publish(layout, 'small', `${registry.host}/dasink/src:v1`, 'oci');
  const source = `docker://${registry.host}/dasink/src:v1`;
  const archive = path.join(dir, 'image.tar');

  const out = await copyImage(source, `docker-archive:${archive}:example.com/app:v2`, { client });
  assert.equal(out.destination, `docker-archive:${archive}:example.com/app:v2`);
  assert.notEqual(out.digest, await rawDigest(source), 'gzip layers are stored uncompressed');
  assert.equal(out.digest, await rawDigest(`docker-archive:${archive}`));
  assert.match(out.summary, /uncompressed/);
  await skopeo(
    'copy',
    '--quiet',
    `docker-archive:${archive}:example.com/app:v2`,
    `oci:${dir}/loaded:v2`,
  );
  assert.equal(await configDigest(`oci:${dir}/loaded:v2`), await configDigest(source));
  const { stdout } = await run('tar', ['-xOf', archive, 'manifest.json']);
  const [item] = JSON.parse(stdout) as { RepoTags: string[]; Layers: string[] }[];
  assert.deepEqual(item!.RepoTags, ['example.com/app:v2']);
  for (const layer of item!.Layers) {
    const { stdout: head } = await run('sh', [
      '-c',
      `tar -xOf '${archive}' '${layer}' | head -c 2 | od -An -tx1`,
    ]);
    assert.notEqual(head.trim(), '1f 8b', `${layer} is a plain tar, not gzip`);
  }
  assert.deepEqual(
    fs.readdirSync(dir).sort(),
    ['image.tar', 'loaded'],
    'no temporary file is left',
  );

  const fromLayout = path.join(dir, 'layout.tar');
  const written = await copyImage(`oci:${layout}:small`, `docker-archive:${fromLayout}`);
  assert.equal(written.digest, await rawDigest(`docker-archive:${fromLayout}`));
  assert.equal(await configDigest(`docker-archive:${fromLayout}`), await configDigest(source));
});

test(
  'a docker-archive written from gzip layers is what a real dockerd 20.10 loads, with the source image ID',
  { skip: dockerUnavailable() },
  async () => {
    const dir = freshDir('da-docker-load');
    await publish(layout, 'small', `${registry.host}/dload/src:v1`, 'v2s2');
    const source = `docker://${registry.host}/dload/src:v1`;
    const archive = path.join(dir, 'image.tar');
    await copyImage(source, `docker-archive:${archive}:example.com/loaded:v1`, { client });
    const daemon = await startDockerDaemon();
    try {
      assert.match(daemon.docker(['load', '-i', archive]), /Loaded image: example.com\/loaded:v1/);
      const id = daemon.docker([
        'image',
        'inspect',
        '--format',
        '{{.Id}}',
        'example.com/loaded:v1',
      ]);
      assert.equal(id.trim(), await configDigest(source));
    } finally {
      await daemon.stop();
    }
  },
);

test('an index into a docker-archive needs --platform; with it, that platform is written', async () => {
  const dir = freshDir('da-index');
  const host = registry.host;
  await publish(layout, 'small', `${host}/multi/app:amd`, 'oci');
  const child = await skopeoRaw(`docker://${host}/multi/app:amd`);
  const index = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [
      {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: sha256(child),
        size: child.length,
        platform: { os: 'linux', architecture: 'amd64' },
      },
    ],
  });
  const put = await fetch(`http://${host}/v2/multi/app/manifests/both`, {
    method: 'PUT',
    headers: { 'content-type': 'application/vnd.oci.image.index.v1+json' },
    body: index,
  });
  assert.equal(put.status, 201);
  const archive = path.join(dir, 'image.tar');

  await rejectsWith(
    copyImage(`docker://${host}/multi/app:both`, `docker-archive:${archive}`, { client }),
    'ERR_INVALID_ARGUMENT',
    /--platform/,
  );
  assert.deepEqual(fs.readdirSync(dir), [], 'no archive, no temporary file');

  const out = await copyImage(`docker://${host}/multi/app:both`, `docker-archive:${archive}`, {
    client,
    platform: { os: 'linux', architecture: 'amd64' },
  });
  assert.equal(out.digest, await rawDigest(`docker-archive:${archive}`));
  assert.equal(
    await configDigest(`docker-archive:${archive}`),
    await configDigest(`docker://${host}/multi/app:amd`),
  );
});

test('bad input: a truncated archive, a missing REF, a corrupt blob fail clearly and write nothing', async () => {
  const dir = freshDir('bad');
  const good = path.join(dir, 'good.tar');
  await skopeo('copy', '--quiet', `oci:${layout}:small`, `oci-archive:${good}:small`);
  const dockerGood = path.join(dir, 'good-docker.tar');
  await skopeo('copy', '--quiet', `oci:${layout}:small`, `docker-archive:${dockerGood}:a/b:c`);
  const truncated = path.join(dir, 'truncated.tar');
  fs.writeFileSync(truncated, fs.readFileSync(good).subarray(0, 600_000));
  const out = path.join(dir, 'out');
  const listing = () => fs.readdirSync(dir).sort();
  const before = listing();

  await rejectsWith(
    copyImage(`oci-archive:${truncated}`, `oci-archive:${out}.tar`),
    'ERR_BAD_TAR',
    /truncated\.tar is not a readable tar archive.*truncated/,
  );
  await rejectsWith(
    copyImage(`oci-archive:${good}:nope`, `docker-archive:${out}.tar`),
    'ERR_NOT_FOUND',
    /has no images named nope \(names: small\)/,
  );
  await rejectsWith(
    copyImage(`docker-archive:${dockerGood}:a/b:nope`, `oci-archive:${out}.tar`),
    'ERR_NOT_FOUND',
    /has no images tagged a\/b:nope \(tags: docker\.io\/a\/b:c\)/,
  );
  await rejectsWith(
    copyImage(`docker-archive:${dockerGood}:@3`, `oci:${out}`),
    'ERR_NOT_FOUND',
    /holds 1 images/,
  );
  await rejectsWith(
    copyImage(`oci-archive:${path.join(dir, 'absent.tar')}`, `oci-archive:${out}.tar`),
    'ERR_NOT_FOUND',
    /absent\.tar does not exist/,
  );
  await rejectsWith(
    copyImage(`oci:${layout}:small`, `docker-archive:${out}.tar:x@sha256:${'0'.repeat(64)}`),
    'ERR_INVALID_ARGUMENT',
    /written with a tag/,
  );

  // A layer whose bytes are not its digest (same size), in an archive GNU tar wrote.
  const corrupt = path.join(work, 'corrupt-layout');
  fs.cpSync(layout, corrupt, { recursive: true });
  const manifest = JSON.parse((await skopeoRaw(`oci:${corrupt}:small`)).toString('utf8')) as {
    layers: { digest: string }[];
  };
  const layer = path.join(corrupt, 'blobs', 'sha256', manifest.layers[0]!.digest.slice(7));
  const bytes = fs.readFileSync(layer);
  bytes[bytes.length - 1] = bytes.at(-1)! ^ 0xff;
  fs.writeFileSync(layer, bytes);
  const corruptTar = path.join(work, 'corrupt.tar');
  await run('tar', ['-cf', corruptTar, '-C', corrupt, '.']);
  for (const destination of [`oci-archive:${out}.tar`, `docker-archive:${out}.tar`]) {
    await rejectsWith(
      copyImage(`oci-archive:${corruptTar}:small`, destination),
      'ERR_DIGEST_MISMATCH',
      /other content than blob/,
    );
  }
  assert.deepEqual(listing(), before, 'no output and no temporary file');

  // A plain archive whose layer is shorter than its descriptor, to a registry in small chunks:
  // sent whole (ranges are read only of a blob there at its size), it fails its size check
  // before a byte is sent, leaving no session.
  const short = path.join(work, 'short-layout');
  fs.cpSync(layout, short, { recursive: true });
  const shortLayer = path.join(short, 'blobs', 'sha256', manifest.layers[0]!.digest.slice(7));
  fs.truncateSync(shortLayer, fs.statSync(shortLayer).size - 1000);
  const shortTar = path.join(work, 'short.tar');
  await run('tar', ['-cf', shortTar, '-C', short, '.']);
  const root = freshDir('short-store');
  const store = await openStore(root);
  await rejectsWith(
    copyImage(`oci-archive:${shortTar}:small`, `docker://${registry.host}/short/small:v1`, {
      client,
      uploadSessions: store.uploads,
      chunkSize: 1024,
    }),
    'ERR_SIZE_MISMATCH',
    /its descriptor says/,
  );
  const sessions = path.join(root, 'shale', 'uploads');
  assert.ok(!fs.existsSync(sessions) || fs.readdirSync(sessions).length === 0, 'no session begun');
});
