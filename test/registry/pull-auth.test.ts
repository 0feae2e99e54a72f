// The CLI against registries that need credentials — htpasswd (Basic) and token auth (the test
// token server) — with credentials from a Docker config.json in a temporary DOCKER_CONFIG, written
// by hand or by `shale login`; wrong or missing credentials fail clearly and never print the secret.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildEdgeImage } from '../helpers/edge-image.ts';
import { publish } from '../helpers/publish.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { runShaleAsync } from '../helpers/shale.ts';

const USER = 'carol';
const PASSWORD = 'c0rrect-h0rse-Battery';

let work: string;
let layout: string;

before(() => {
  work = fs.mkdtempSync(path.join(tmpdir(), 'shale-pull-auth-'));
  layout = path.join(work, 'layout');
  buildEdgeImage(path.join(work, 'trees'), layout);
});

after(() => fs.rmSync(work, { recursive: true, force: true }));

/** A DOCKER_CONFIG directory whose config.json holds `user:password` for `host`. */
function dockerConfig(host: string, user: string, password: string): string {
  const dir = fs.mkdtempSync(path.join(work, 'docker-config-'));
  const auth = Buffer.from(`${user}:${password}`).toString('base64');
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ auths: { [host]: { auth } } }));
  return dir;
}

for (const auth of ['htpasswd', 'token'] as const) {
  describe(`${auth} registry`, () => {
    let registry: TestRegistry;
    let ref: string;

    before(async () => {
      registry = await startRegistry({
        auth,
        users: [{ user: USER, password: PASSWORD }],
        anonymous: 'none',
      });
      ref = `${registry.host}/private/edge:v1`;
      await publish(layout, 'edge', ref, 'v2s2', `${USER}:${PASSWORD}`);
    });

    after(async () => registry?.stop());

    test('pull and push with credentials from config.json', async () => {
      const env = { DOCKER_CONFIG: dockerConfig(registry.host, USER, PASSWORD) };
      const root = fs.mkdtempSync(path.join(work, 'store-'));
      const pulled = await runShaleAsync(['--root', root, 'pull', '-q', ref], { env });
      assert.equal(pulled.status, 0, pulled.stderr);
      assert.match(pulled.stdout, /^sha256:[0-9a-f]{64}\n$/);
      const pushed = await runShaleAsync(
        ['--root', root, 'push', '-q', ref, `${registry.host}/private/copy:v1`],
        { env },
      );
      assert.equal(pushed.status, 0, pushed.stderr);
    });

    test('wrong or missing credentials fail clearly, without the secret', async () => {
      const root = fs.mkdtempSync(path.join(work, 'store-'));
      const wrongSecret = 'Wr0ng-Secret-value';
      for (const env of [
        { DOCKER_CONFIG: dockerConfig(registry.host, USER, wrongSecret) },
        { DOCKER_CONFIG: fs.mkdtempSync(path.join(work, 'empty-config-')) },
      ]) {
        const r = await runShaleAsync(['--root', root, 'pull', '-q', ref], { env });
        assert.equal(r.status, 1);
        assert.match(
          r.stderr,
          /^shale: registry .* refused pull of private\/edge: .*(UNAUTHORIZED|HTTP 401)/,
        );
        assert.match(r.stderr, /shale login/);
        assert.doesNotMatch(r.stderr, new RegExp(wrongSecret));
        assert.doesNotMatch(r.stderr, /Authorization|Bearer [A-Za-z0-9]/);
      }
    });

    test('shale login stores the credentials a later pull uses; logout removes them', async () => {
      const env = { DOCKER_CONFIG: fs.mkdtempSync(path.join(work, 'login-config-')) };
      const root = fs.mkdtempSync(path.join(work, 'store-'));
      const wrong = await runShaleAsync(
        ['login', registry.host, '-u', USER, '-p', 'not-the-password'],
        { env },
      );
      assert.equal(wrong.status, 1);
      assert.match(wrong.stderr, /^shale: /);
      assert.doesNotMatch(wrong.stderr, /not-the-password/);
      assert.equal(fs.existsSync(path.join(env.DOCKER_CONFIG, 'config.json')), false);
      const login = await runShaleAsync(['login', registry.host, '-u', USER, '-p', PASSWORD], {
        env,
      });
      assert.equal(login.status, 0, login.stderr);
      const pulled = await runShaleAsync(['--root', root, 'pull', '-q', ref], { env });
      assert.equal(pulled.status, 0, pulled.stderr);
      const logout = await runShaleAsync(['logout', registry.host], { env });
      assert.equal(logout.status, 0, logout.stderr);
      const config = fs.readFileSync(path.join(env.DOCKER_CONFIG, 'config.json'), 'utf8');
      assert.doesNotMatch(
        config,
        new RegExp(Buffer.from(`${USER}:`).toString('base64').slice(0, 6)),
      );
      const after = await runShaleAsync(
        ['--root', root, 'pull', '-q', `${registry.host}/private/copy:v1`],
        { env },
      );
      assert.equal(after.status, 1);
    });
  });
}
