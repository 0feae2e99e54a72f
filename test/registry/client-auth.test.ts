// RegistryClient against real registries with auth: htpasswd (Basic) and token auth (Bearer via
// the test token server) with right, wrong and no credentials, identity tokens, token caching,
// cross-repository mounts and the scope a DELETE needs. Refusals are ERR_AUTH with a hint to log
// in, and never carry the password.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { isShaleError } from '../../src/core/errors.ts';
import {
  anonymousCredentials,
  staticCredentials,
  type Credential,
} from '../../src/registry/auth/credentials.ts';
import { repositoryScope } from '../../src/registry/auth/scope.ts';
import { RegistryClient } from '../../src/registry/client.ts';
import { RegistryError } from '../../src/registry/errors.ts';
import { readBodyBytes } from '../../src/registry/transport/body.ts';
import { startRegistry, uploadBlob, type TestRegistry } from '../helpers/registry.ts';

const PASSWORD = 'pa55-W0rd-s3cret';
const users = [{ user: 'alice', password: PASSWORD }];

function clientFor(registry: TestRegistry, credential?: Credential): RegistryClient {
  return new RegistryClient({
    credentials:
      credential === undefined
        ? anonymousCredentials
        : staticCredentials({ [registry.host]: credential }),
    retry: { baseDelayMs: 10 },
  });
}

async function refusal(promise: Promise<unknown>): Promise<RegistryError> {
  const err = await promise.then(
    () => assert.fail('expected a refusal'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof RegistryError, String(err));
  assert.equal(err.code, 'ERR_AUTH');
  return err;
}

/** The error, however it is printed, holds none of the secrets. */
function assertNoSecrets(err: unknown, ...secrets: string[]): void {
  const printed = [inspect(err, { depth: 10 }), JSON.stringify(err), (err as Error).stack ?? ''];
  for (const secret of [...secrets, Buffer.from(`alice:${PASSWORD}`).toString('base64')]) {
    for (const text of printed) assert.ok(!text.includes(secret), `secret leaked in ${text}`);
  }
}

const blobGet = (host: string, repository: string, digest: string) => ({
  ...{ host, repository, method: 'GET', path: `blobs/${digest}` },
  actions: ['pull'] as const,
});

describe('htpasswd (Basic) registry', () => {
  let registry: TestRegistry;
  before(async () => (registry = await startRegistry({ auth: 'htpasswd', users })));
  after(() => registry?.stop());

  test('right credentials push and pull', async () => {
    const client = clientFor(registry, { username: 'alice', password: PASSWORD });
    const bytes = randomBytes(1000);
    const digest = await uploadBlob(client, registry.host, 'team/app', bytes);
    const got = await client.request(blobGet(registry.host, 'team/app', digest));
    assert.deepEqual(await readBodyBytes(got.body, 2000), bytes);
    await client.close();
  });

  test('a wrong password is ERR_AUTH with a clear message and no secret', async () => {
    const client = clientFor(registry, { username: 'alice', password: 'wrong-guess-123' });
    const err = await refusal(client.request(blobGet(registry.host, 'team/app', 'sha256:00')));
    assert.equal(err.status, 401);
    assert.equal(err.registryCode, 'UNAUTHORIZED');
    assert.equal(
      err.message,
      `registry ${registry.host} refused pull of team/app: UNAUTHORIZED authentication required` +
        ` — check the credentials (shale login ${registry.host})`,
    );
    assertNoSecrets(err, 'wrong-guess-123');
    await client.close();
  });

  test('no credentials: ERR_AUTH asking to log in first', async () => {
    const client = clientFor(registry);
    const err = await refusal(client.request(blobGet(registry.host, 'team/app', 'sha256:00')));
    assert.match(err.message, /log in first \(shale login 127\.0\.0\.1:\d+\)$/);
    await client.close();
  });
});

describe('token-auth registry', () => {
  let registry: TestRegistry;
  let digest: string;
  const bytes = randomBytes(5000);
  before(async () => {
    registry = await startRegistry({ auth: 'token', users });
    const client = clientFor(registry, { username: 'alice', password: PASSWORD });
    digest = await uploadBlob(client, registry.host, 'team/app', bytes);
    await client.close();
  });
  after(() => registry?.stop());
  const requests = () => registry.tokenServer!.requests;

  test('a user gets pull,push tokens, cached per scope set', async () => {
    const client = clientFor(registry, { username: 'alice', password: PASSWORD });
    const before = requests().length;
    for (let i = 0; i < 3; i++) {
      const got = await client.request(blobGet(registry.host, 'team/app', digest));
      assert.deepEqual(await readBodyBytes(got.body, 10_000), bytes);
    }
    const issued = requests().slice(before);
    assert.deepEqual(issued, [
      { method: 'GET', grant: 'basic', user: 'alice', scopes: ['repository:team/app:pull'] },
    ]);
    const pushed = await uploadBlob(client, registry.host, 'team/app', randomBytes(10));
    assert.match(pushed, /^sha256:/);
    assert.deepEqual(requests().at(-1)?.scopes, ['repository:team/app:pull,push']);
    await client.close();
  });

  test('anonymous callers pull, but a push is refused without looping', async () => {
    const client = clientFor(registry);
    const got = await client.request(blobGet(registry.host, 'team/app', digest));
    assert.deepEqual(await readBodyBytes(got.body, 10_000), bytes);
    const before = requests().length;
    const err = await refusal(uploadBlob(client, registry.host, 'team/app', Buffer.from('x')));
    assert.match(err.message, /refused push of team\/app: .* — log in first/);
    assert.ok(requests().length - before <= 2, 'at most one token refresh');
    await client.close();
  });

  test('a wrong password is refused by the token service', async () => {
    const client = clientFor(registry, { username: 'alice', password: 'wrong-guess-123' });
    const err = await refusal(client.request(blobGet(registry.host, 'team/app', digest)));
    assert.match(
      err.message,
      /^registry 127\.0\.0\.1:\d+ refused pull of team\/app: the token service http:\/\/127\.0\.0\.1:\d+ rejected user alice \(HTTP 401\) — check the credentials/,
    );
    assertNoSecrets(err, 'wrong-guess-123');
    await client.close();
  });

  test('an identity token is exchanged with an OAuth2 refresh_token grant', async () => {
    const identityToken = registry.tokenServer!.refreshTokenFor('alice');
    const client = clientFor(registry, { identityToken });
    const got = await client.request(blobGet(registry.host, 'team/app', digest));
    assert.deepEqual(await readBodyBytes(got.body, 10_000), bytes);
    assert.deepEqual(requests().at(-1), {
      ...{ method: 'POST', grant: 'refresh_token', user: 'alice' },
      scopes: ['repository:team/app:pull'],
    });
    const bad = clientFor(registry, { identityToken: 'not-a-real-refresh-token' });
    const err = await refusal(bad.request(blobGet(registry.host, 'team/app', digest)));
    assertNoSecrets(err, 'not-a-real-refresh-token', identityToken);
    await Promise.all([client.close(), bad.close()]);
  });

  test('a cross-repository mount asks for pull on the source too', async () => {
    const client = clientFor(registry, { username: 'alice', password: PASSWORD });
    const mounted = await client.request({
      ...{ host: registry.host, repository: 'team/other', method: 'POST' },
      path: `blobs/uploads/?mount=${digest}&from=team/app`,
      actions: ['pull', 'push'],
      extraScopes: [repositoryScope('team/app', ['pull'])],
    });
    await mounted.discard();
    assert.equal(mounted.status, 201);
    assert.equal(mounted.header('docker-content-digest'), digest);
    assert.deepEqual(requests().at(-1)?.scopes, [
      'repository:team/app:pull',
      'repository:team/other:pull,push',
    ]);
    await client.close();
  });

  test('a DELETE gets the delete scope the registry asks for', async () => {
    const client = clientFor(registry, { username: 'alice', password: PASSWORD });
    const victim = await uploadBlob(client, registry.host, 'team/app', randomBytes(20));
    const deleted = await client.request({
      ...{ host: registry.host, repository: 'team/app', method: 'DELETE' },
      ...{ path: `blobs/${victim}`, actions: ['pull', 'push'] },
    });
    await deleted.discard();
    assert.equal(deleted.status, 202);
    assert.ok(
      isShaleError(
        await client.request(blobGet(registry.host, 'team/app', victim)).catch((e: unknown) => e),
        'ERR_REGISTRY',
      ),
    );
    await client.close();
  });
});
