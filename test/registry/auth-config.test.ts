// Credentials from Docker's config.json (auths, credsStore, credHelpers) in a temp config folder,
// a credential helper following the docker-credential-helpers protocol (a small script on PATH),
// and login/logout against a real htpasswd registry: verified first, written atomically with mode
// 0600, unknown keys kept. No secret ever shows up in an error.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { isShaleError } from '../../src/core/errors.ts';
import { dockerConfigCredentials } from '../../src/registry/auth/docker-credentials.ts';
import { helperStore } from '../../src/registry/auth/credential-helper.ts';
import { login, logout } from '../../src/registry/auth/login.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');

function tempConfig(content?: object): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'shale-docker-config-'));
  if (content !== undefined) writeFileSync(path.join(dir, 'config.json'), JSON.stringify(content));
  return dir;
}

const readConfig = (dir: string) =>
  JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')) as {
    auths: Record<string, Record<string, string>>;
    [key: string]: unknown;
  };

/** Installs `docker-credential-<name>` on PATH: a Node script keeping secrets in `storeFile`. */
function installHelper(name: string, storeFile: string): void {
  const bin = path.join(path.dirname(storeFile), 'bin');
  mkdirSync(bin, { recursive: true });
  const script = path.join(bin, `docker-credential-${name}`);
  writeFileSync(
    script,
    `#!${process.execPath}
const fs = require('node:fs');
const file = ${JSON.stringify(storeFile)};
const db = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {};
const input = fs.readFileSync(0, 'utf8');
const action = process.argv[2];
fs.appendFileSync(file + '.log', action + ' ' + (action === 'store' ? JSON.parse(input).ServerURL : input.trim()) + '\\n');
if (action === 'store') {
  const cred = JSON.parse(input);
  if (cred.Secret === 'refuse-me') { console.error('cannot store ' + cred.Secret); process.exit(1); }
  db[cred.ServerURL] = cred;
} else if (action === 'get' || action === 'erase') {
  const found = db[input.trim()];
  if (!found) { console.log('credentials not found in native keychain'); process.exit(1); }
  if (action === 'get') console.log(JSON.stringify(found));
  else delete db[input.trim()];
}
fs.writeFileSync(file, JSON.stringify(db));
`,
  );
  chmodSync(script, 0o755);
  if (!process.env.PATH?.startsWith(`${bin}:`)) process.env.PATH = `${bin}:${process.env.PATH}`;
}

test('auths: base64 auth, username/password, identity token, Docker Hub key, URL keys', async () => {
  const configDir = tempConfig({
    auths: {
      'reg.one:5000': { auth: b64('ann:pw:with:colons') },
      'https://reg.two/v1/': { username: 'bob', password: 'bobpw' },
      'reg.three': { auth: b64('carl:'), identitytoken: 'refresh-xyz' },
      'https://index.docker.io/v1/': { auth: b64('hubuser:hubpw') },
    },
  });
  const source = dockerConfigCredentials({ configDir });
  assert.deepEqual(await source.get('reg.one:5000'), {
    ...{ username: 'ann', password: 'pw:with:colons' },
    ...{ identityToken: undefined, registryToken: undefined },
  });
  assert.equal((await source.get('reg.two'))?.password, 'bobpw');
  assert.equal((await source.get('reg.three'))?.identityToken, 'refresh-xyz');
  assert.equal((await source.get('docker.io'))?.username, 'hubuser');
  assert.equal(await source.get('reg.unknown'), undefined);
});

test('the config folder: DOCKER_CONFIG, else ~/.docker', async () => {
  const saved = { HOME: process.env.HOME, DOCKER_CONFIG: process.env.DOCKER_CONFIG };
  try {
    const viaEnv = tempConfig({ auths: { h: { auth: b64('env:1') } } });
    process.env.DOCKER_CONFIG = viaEnv;
    assert.equal((await dockerConfigCredentials().get('h'))?.username, 'env');
    const home = mkdtempSync(path.join(tmpdir(), 'shale-home-'));
    mkdirSync(path.join(home, '.docker'));
    writeFileSync(
      path.join(home, '.docker', 'config.json'),
      JSON.stringify({ auths: { h: { auth: b64('home:1') } } }),
    );
    delete process.env.DOCKER_CONFIG;
    process.env.HOME = home;
    assert.equal((await dockerConfigCredentials().get('h'))?.username, 'home');
  } finally {
    Object.assign(process.env, saved);
    if (saved.DOCKER_CONFIG === undefined) delete process.env.DOCKER_CONFIG;
  }
});

test('a broken config.json is ERR_INVALID_ARGUMENT that quotes none of it', async () => {
  const configDir = tempConfig();
  writeFileSync(path.join(configDir, 'config.json'), '{"auths":{"h":{"auth":"c2VjcmV0"}},');
  const err = await dockerConfigCredentials({ configDir })
    .get('h')
    .catch((e: unknown) => e);
  assert.ok(isShaleError(err, 'ERR_INVALID_ARGUMENT'));
  assert.match(err.message, /config\.json is not valid JSON/);
  assert.ok(!inspect(err).includes('c2VjcmV0'));
  const bad = tempConfig({ auths: { h: { auth: b64('no-colon-secret') } } });
  const err2 = await dockerConfigCredentials({ configDir: bad })
    .get('h')
    .catch((e: unknown) => e);
  assert.ok(isShaleError(err2, 'ERR_INVALID_ARGUMENT'));
  assert.ok(
    !inspect(err2).includes('no-colon-secret') && !inspect(err2).includes(b64('no-colon-secret')),
  );
});

test('credential helpers: credHelpers per host beats credsStore, <token> is an identity token', async () => {
  const configDir = tempConfig();
  const storeFile = path.join(configDir, 'helper-store.json');
  installHelper('shaletest', storeFile);
  await helperStore('shaletest', 'per-host.example', { username: 'pat', password: 'pat-pw' });
  await helperStore('shaletest', 'https://index.docker.io/v1/', { identityToken: 'hub-refresh' });
  writeFileSync(
    path.join(configDir, 'config.json'),
    JSON.stringify({
      credsStore: 'shaletest',
      credHelpers: { 'per-host.example': 'shaletest', 'missing.example': 'nonexistent' },
      auths: { 'fallback.example': { auth: b64('fall:back') } },
    }),
  );
  const source = dockerConfigCredentials({ configDir });
  assert.deepEqual(await source.get('per-host.example'), { username: 'pat', password: 'pat-pw' });
  assert.deepEqual(await source.get('docker.io'), { identityToken: 'hub-refresh' });
  assert.equal((await source.get('fallback.example'))?.username, 'fall'); // helper has none
  const err = await source.get('missing.example').catch((e: unknown) => e);
  assert.ok(isShaleError(err, 'ERR_AUTH'));
  assert.match(err.message, /docker-credential-nonexistent is not on PATH/);
  const log = readFileSync(`${storeFile}.log`, 'utf8');
  assert.match(log, /^get https:\/\/index\.docker\.io\/v1\/$/m);
});

test('a failing helper does not echo the secret', async () => {
  const storeFile = path.join(tempConfig(), 'helper-store.json');
  installHelper('shaleleaky', storeFile);
  const err = await helperStore('shaleleaky', 'h', { username: 'u', password: 'refuse-me' }).catch(
    (e: unknown) => e,
  );
  assert.ok(isShaleError(err, 'ERR_AUTH'));
  assert.match(
    err.message,
    /docker-credential-shaleleaky store failed \(exit 1\): cannot store \*\*\*/,
  );
  assert.ok(!inspect(err).includes('refuse-me'));
});

describe('login and logout against an htpasswd registry', () => {
  let registry: TestRegistry;
  const PASSWORD = 'l0gin-Secret';
  before(async () => {
    registry = await startRegistry({
      auth: 'htpasswd',
      users: [{ user: 'dora', password: PASSWORD }],
    });
  });
  after(() => registry?.stop());

  test('login stores base64 auth atomically (0600), keeps unknown keys; logout removes it', async () => {
    const configDir = tempConfig({
      HttpHeaders: { 'X-Meta': 'keep' },
      auths: { other: { auth: 'b3RoZXI6eA==' } },
    });
    await login(registry.host, { username: 'dora', password: PASSWORD }, { configDir });
    const file = path.join(configDir, 'config.json');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const config = readConfig(configDir);
    assert.deepEqual(config.HttpHeaders, { 'X-Meta': 'keep' });
    assert.equal(config.auths.other?.auth, 'b3RoZXI6eA==');
    assert.equal(config.auths[registry.host]?.auth, b64(`dora:${PASSWORD}`));
    assert.equal(
      (await dockerConfigCredentials({ configDir }).get(registry.host))?.password,
      PASSWORD,
    );
    assert.equal(await logout(registry.host, { configDir }), true);
    assert.equal(readConfig(configDir).auths[registry.host], undefined);
    assert.equal(readConfig(configDir).auths.other?.auth, 'b3RoZXI6eA==');
    assert.equal(await logout(registry.host, { configDir }), false);
  });

  test('a wrong password is refused before anything is written, and not echoed', async () => {
    const configDir = tempConfig({ auths: {} });
    const err = await login(
      registry.host,
      { username: 'dora', password: 'not-it-42' },
      { configDir },
    ).catch((e: unknown) => e);
    assert.ok(isShaleError(err, 'ERR_AUTH'));
    assert.match(
      err.message,
      /refused login: UNAUTHORIZED .* check the credentials \(shale login /,
    );
    for (const secret of ['not-it-42', b64('dora:not-it-42')])
      assert.ok(!inspect(err).includes(secret));
    assert.deepEqual(readConfig(configDir).auths, {});
  });

  test('with credsStore, login goes through the helper and logout erases it', async () => {
    const configDir = tempConfig({ credsStore: 'shalestore' });
    const storeFile = path.join(configDir, 'helper-store.json');
    installHelper('shalestore', storeFile);
    await login(registry.host, { username: 'dora', password: PASSWORD }, { configDir });
    assert.deepEqual(readConfig(configDir).auths[registry.host], {});
    const stored = JSON.parse(readFileSync(storeFile, 'utf8')) as Record<
      string,
      { Secret: string }
    >;
    assert.equal(stored[registry.host]?.Secret, PASSWORD);
    assert.equal(
      (await dockerConfigCredentials({ configDir }).get(registry.host))?.username,
      'dora',
    );
    assert.equal(await logout(registry.host, { configDir }), true);
    assert.deepEqual(JSON.parse(readFileSync(storeFile, 'utf8')), {});
    assert.equal(readConfig(configDir).auths[registry.host], undefined);
  });
});
