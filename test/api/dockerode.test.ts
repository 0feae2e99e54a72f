// dockerode, the Node Docker SDK, drives `shale serve` from code: pull (its progress followed
// with modem.followProgress), listImages, inspect, tag, push with an authconfig to an htpasswd
// registry, remove, and an image's get() stream piped into another server's loadImage.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { publish, remoteDigest } from '../helpers/publish.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { startServe, type ServedShale } from '../helpers/serve.ts';
import { buildSmallFixture } from '../helpers/small-fixture.ts';

let registry: TestRegistry;
let locked: TestRegistry;
let work: string;
let server: ServedShale;
let docker: Docker;

interface Progress {
  status?: string;
  id?: string;
  error?: string;
  aux?: { Tag: string; Digest: string; Size: number };
}

/** Run a streamed call to its end through dockerode's own follower; its messages in order. */
function follow(stream: NodeJS.ReadableStream): Promise<Progress[]> {
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null, output: Progress[]) =>
      err ? reject(err) : resolve(output),
    );
  });
}

before(async () => {
  work = fs.mkdtempSync(path.join(tmpdir(), 'shale-api-dockerode-'));
  const small = path.join(work, 'small');
  await buildSmallFixture(small);
  registry = await startRegistry();
  locked = await startRegistry({ auth: 'htpasswd' });
  await publish(path.join(small, 'oci'), 'small', `${registry.host}/sdk/small:v1`, 'v2s2');
  server = await startServe(path.join(work, 'root'));
  docker = new Docker({ socketPath: server.socket });
});

after(async () => {
  const code = await server?.stop();
  await registry?.stop();
  await locked?.stop();
  fs.rmSync(work, { recursive: true, force: true });
  assert.equal(code, 0);
});

test('pull with followProgress, then list, inspect, tag, push, remove, get → loadImage', async () => {
  const ref = `${registry.host}/sdk/small:v1`;
  const pulled = await follow(await docker.pull(ref));
  assert.deepEqual(pulled[0], { status: 'Pulling from sdk/small', id: 'v1' });
  assert.ok(pulled.some((m) => m.status === 'Pull complete' && /^[0-9a-f]{12}$/.test(m.id!)));
  assert.equal(pulled.at(-1)!.status, `Status: Downloaded newer image for ${ref}`);

  const listed = await docker.listImages();
  const summary = listed.find((image) => image.RepoTags?.includes(ref));
  assert.ok(summary, `listed: ${JSON.stringify(listed)}`);
  const inspected = await docker.getImage(ref).inspect();
  assert.equal(inspected.Id, summary.Id);

  const pushRef = `${locked.host}/sdk/copy`;
  await docker.getImage(ref).tag({ repo: pushRef, tag: 'v1' });
  const authconfig = { username: 'shale', password: 'shale-secret', serveraddress: locked.host };
  const pushed = await follow(
    await docker.getImage(`${pushRef}:v1`).push({ tag: 'v1', authconfig }),
  );
  const aux = pushed.find((m) => m.aux !== undefined)?.aux;
  assert.equal(aux?.Tag, 'v1');
  assert.equal(aux?.Digest, await remoteDigest(ref));
  assert.equal(await remoteDigest(`${pushRef}:v1`, 'shale:shale-secret'), aux?.Digest);

  // Without the authconfig the server has no credentials for that registry: the stream ends
  // with dockerd's error message (followProgress hands it over as the last message).
  const refused = await follow(await docker.getImage(`${pushRef}:v1`).push({ tag: 'v1' }));
  assert.match(refused.at(-1)!.error ?? '', /authentication required|refused/i);

  await docker.getImage(`${pushRef}:v1`).remove();
  await assert.rejects(docker.getImage(`${pushRef}:v1`).inspect(), /No such image/);

  // The saved archive streams straight into a second server's store.
  const other = await startServe(path.join(work, 'other-root'));
  try {
    const otherDocker = new Docker({ socketPath: other.socket });
    const loaded = await follow(await otherDocker.loadImage(await docker.getImage(ref).get()));
    assert.deepEqual(loaded, [{ stream: `Loaded image: ${ref}\n` }]);
    assert.equal((await otherDocker.getImage(ref).inspect()).Id, inspected.Id);
  } finally {
    assert.equal(await other.stop(), 0);
  }
});
