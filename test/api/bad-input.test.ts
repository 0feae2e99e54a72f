// Bad input to `shale serve`: unknown endpoints, malformed JSON bodies and `filters`, names that
// are not references, an `X-Registry-Auth` that is not base64 JSON, and a web page's request
// (an `Origin` header). Each gets a dockerd-style status with a `{"message": …}` body, the server
// answers `/_ping` right after, and the store's files are as they were before.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { publish } from '../helpers/publish.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { apiRequest, startServe, type ServedShale } from '../helpers/serve.ts';
import { runShale } from '../helpers/shale.ts';
import { buildSmallFixture } from '../helpers/small-fixture.ts';

let work: string;
let root: string;
let registry: TestRegistry;
let served: ServedShale;
let small: string;

/** Every file of the store with its size and leading bytes (locks and leases are bookkeeping). */
function visibleState(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of fs.readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      const rel = path.relative(root, full);
      if (['ingest', 'locks', 'leases'].some((d) => rel === path.join('shale', d))) continue;
      const st = fs.statSync(full);
      if (st.isDirectory()) walk(full);
      else out.push(`${rel} ${st.size} ${fs.readFileSync(full).toString('base64').slice(0, 64)}`);
    }
  };
  walk(root);
  return out;
}

before(async () => {
  work = fs.mkdtempSync(path.join(tmpdir(), 'shale-bad-input-'));
  await buildSmallFixture(path.join(work, 'small'));
  registry = await startRegistry();
  small = `${registry.host}/peers/small:v1`;
  await publish(path.join(work, 'small', 'oci'), 'small', small, 'oci');
  root = path.join(work, 'root');
  const pulled = runShale(['--root', root, 'pull', '-q', small]);
  assert.equal(pulled.status, 0, pulled.stderr);
  served = await startServe(root);
});

after(async () => {
  if (served) assert.equal(await served.stop(), 0, served.stderr());
  await registry?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

interface Case {
  what: string;
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  status: number;
  /** What the message says (dockerd's words where shale keeps them). */
  message: RegExp;
}

const json = { 'content-type': 'application/json' };
const base64 = (text: string) => Buffer.from(text).toString('base64');

// The statuses are those of a real dockerd 20.10 at API 1.41 for the same requests, except where
// dockerd 20.10 answers a client's mistake with a 500 (malformed JSON bodies and filters: it
// returns the JSON decoder's error unwrapped; newer dockerd versions answer 400, as shale does)
// and `X-Registry-Auth` (dockerd 20.10 ignores a header it cannot decode and pulls anonymously;
// shale refuses it rather than guess).
const cases = (): Case[] => [
  {
    what: 'an unknown endpoint',
    method: 'GET',
    path: '/v1.41/no/such/endpoint',
    status: 404,
    message: /^page not found$/,
  },
  {
    what: 'an unknown endpoint without a version',
    method: 'POST',
    path: '/frobnicate',
    status: 404,
    message: /^page not found$/,
  },
  {
    what: 'POST /auth with a body that is not JSON',
    method: 'POST',
    path: '/v1.41/auth',
    headers: json,
    body: '{garbage',
    status: 400,
    message: /^request body is not JSON: /,
  },
  {
    what: 'POST /auth with JSON that is not an object',
    method: 'POST',
    path: '/v1.41/auth',
    headers: json,
    body: '[1,2]',
    status: 400,
    message: /username and password/,
  },
  {
    what: 'filters that are not JSON on /images/json',
    method: 'GET',
    path: `/v1.41/images/json?filters=${encodeURIComponent('{not')}`,
    status: 400,
    message: /^invalid filter: /,
  },
  {
    what: 'filters that are not an object on /images/json',
    method: 'GET',
    path: `/v1.41/images/json?filters=${encodeURIComponent('[1]')}`,
    status: 400,
    message: /^invalid filter: /,
  },
  {
    what: 'filters that are not JSON on /images/prune',
    method: 'POST',
    path: `/v1.41/images/prune?filters=${encodeURIComponent('{"dangling":')}`,
    status: 400,
    message: /^invalid filter: /,
  },
  {
    what: 'a tag whose repository is not lowercase',
    method: 'POST',
    path: `/v1.41/images/${encodeURIComponent(small)}/tag?repo=UPPER`,
    status: 400,
    message: /must be lowercase/,
  },
  {
    what: 'tagging a name that is not a reference',
    method: 'POST',
    path: '/v1.41/images/UPPER/tag?repo=x',
    status: 400,
    message: /must be lowercase/,
  },
  {
    what: 'inspecting a NUL name',
    method: 'GET',
    path: '/v1.41/images/%00/json',
    status: 400,
    message: /invalid reference/,
  },
  {
    what: 'inspecting a name with broken percent-encoding',
    method: 'GET',
    path: '/v1.41/images/%E0%A4%A/json',
    status: 400,
    message: /malformed percent-encoding/,
  },
  {
    what: 'inspecting an uppercase name',
    method: 'GET',
    path: '/v1.41/images/UPPER/json',
    status: 400,
    message: /must be lowercase/,
  },
  {
    what: 'the history of a name with a space',
    method: 'GET',
    path: '/v1.41/images/a%20b/history',
    status: 400,
    message: /invalid reference/,
  },
  {
    what: 'removing a name that is not a reference',
    method: 'DELETE',
    path: '/v1.41/images/%00',
    status: 400,
    message: /invalid reference/,
  },
  {
    what: 'pulling a name that is not a reference',
    method: 'POST',
    path: '/v1.41/images/create?fromImage=UPPER&tag=x',
    status: 400,
    message: /must be lowercase/,
  },
  {
    what: 'an X-Registry-Auth that is not base64',
    method: 'POST',
    path: `/v1.41/images/create?fromImage=${encodeURIComponent(small)}`,
    headers: { 'x-registry-auth': '!!! not base64' },
    status: 400,
    message: /^X-Registry-Auth is not base64-encoded JSON$/,
  },
  {
    what: 'an X-Registry-Auth that is base64 but not JSON',
    method: 'POST',
    path: `/v1.41/images/create?fromImage=${encodeURIComponent(small)}`,
    headers: { 'x-registry-auth': base64('not json') },
    status: 400,
    message: /^X-Registry-Auth is not base64-encoded JSON$/,
  },
  {
    what: 'an X-Registry-Auth that is JSON but not an object',
    method: 'POST',
    path: `/v1.41/images/${encodeURIComponent(small)}/push`,
    headers: { 'x-registry-auth': base64('"text"') },
    status: 400,
    message: /^X-Registry-Auth is not base64-encoded JSON$/,
  },
  {
    what: 'a request from a web page (Origin header)',
    method: 'GET',
    path: '/_ping',
    headers: { origin: 'http://evil.example' },
    status: 403,
    message: /Origin/,
  },
  {
    what: 'a pull from a web page (Origin header)',
    method: 'POST',
    path: `/v1.41/images/create?fromImage=${encodeURIComponent(small)}`,
    headers: { origin: 'null' },
    status: 403,
    message: /Origin/,
  },
];

test('bad requests get a dockerd-style status and message; the server serves on, the store is unchanged', async () => {
  const before = visibleState();
  for (const c of cases()) {
    const answer = await apiRequest(served.socket, c.path, {
      method: c.method,
      headers: c.headers,
      body: c.body,
    });
    assert.equal(answer.status, c.status, `${c.what}: ${answer.body.toString()}`);
    assert.match(String(answer.headers['content-type']), /^application\/json/, c.what);
    const { message } = JSON.parse(answer.body.toString()) as { message: string };
    assert.match(message, c.message, c.what);
    const ping = await apiRequest(served.socket, '/_ping');
    assert.equal(ping.status, 200, `/_ping after ${c.what}`);
    assert.deepEqual(visibleState(), before, `the store after ${c.what}`);
  }
  assert.equal(served.stderr().includes('warning'), false, served.stderr());
});
