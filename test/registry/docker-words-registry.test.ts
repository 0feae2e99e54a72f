// Pull and push in Docker's words against the real Distribution registry: `Digest:` and
// `Status: Downloaded newer image for …` / `Status: Image is up to date for …` on a first and a
// second pull (stdout stays the image ID), the pushed digest recorded as a RepoDigest, --all-tags
// through the paginated tags/list API, --insecure that takes no argument, and TLS registries
// trusted through --ca-file or a certs.d directory (with client certificates for mutual TLS).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseDockerRef } from '../../src/core/reference.ts';
import { RegistryClient } from '../../src/registry/client.ts';
import { listTags } from '../../src/registry/tags.ts';
import { buildLayeredImage } from '../helpers/layered-image.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { runShale, runShaleAsync } from '../helpers/shale.ts';

let work: string;
let source: string;
let id: string;
let registry: TestRegistry;
let tlsRegistry: TestRegistry;
let mtlsRegistry: TestRegistry;
let pki: Record<'ca' | 'serverCert' | 'serverKey' | 'clientCert' | 'clientKey', string>;

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { stdio: 'ignore' });
}

/** A CA, a server certificate for 127.0.0.1 and a client certificate, all signed by the CA. */
function makePki(dir: string): typeof pki {
  const f = (name: string) => path.join(dir, name);
  openssl(
    ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2'],
    ...['-keyout', f('ca.key'), '-out', f('ca.pem'), '-subj', '/CN=shale test CA'],
  );
  for (const [name, ext] of [
    ['server', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n'],
    ['client', 'extendedKeyUsage=clientAuth\n'],
  ] as const) {
    fs.writeFileSync(f(`${name}.ext`), ext);
    openssl(
      ...['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f(`${name}.key`)],
      ...['-out', f(`${name}.csr`), '-subj', `/CN=shale test ${name}`],
    );
    openssl(
      ...['x509', '-req', '-in', f(`${name}.csr`), '-CA', f('ca.pem'), '-CAkey', f('ca.key')],
      ...['-CAcreateserial', '-days', '2', '-out', f(`${name}.pem`), '-extfile', f(`${name}.ext`)],
    );
  }
  return {
    ca: f('ca.pem'),
    serverCert: f('server.pem'),
    serverKey: f('server.key'),
    clientCert: f('client.pem'),
    clientKey: f('client.key'),
  };
}

/** A certs.d directory for `host` holding `files` (name in the directory → source file). */
function certsDir(host: string, files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(work, 'certs.d-'));
  fs.mkdirSync(path.join(dir, host));
  for (const [name, from] of Object.entries(files))
    fs.copyFileSync(from, path.join(dir, host, name));
  return dir;
}

before(async () => {
  work = fs.mkdtempSync(path.join(tmpdir(), 'shale-words-registry-'));
  source = path.join(work, 'source');
  id = buildLayeredImage(source, path.join(work, 'trees'), 'words/app:1', 3, 4096);
  pki = makePki(work);
  registry = await startRegistry();
  const tls = { certificate: pki.serverCert, key: pki.serverKey };
  tlsRegistry = await startRegistry({ tls });
  mtlsRegistry = await startRegistry({ tls: { ...tls, clientCas: [pki.ca] } });
});

after(async () => {
  await registry?.stop();
  await tlsRegistry?.stop();
  await mtlsRegistry?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

function shale(root: string, ...args: string[]) {
  return runShale(['--root', root, ...args]);
}

function freshRoot(): string {
  return fs.mkdtempSync(path.join(work, 'root-'));
}

test('push records the pushed digest as a RepoDigest', () => {
  const pushed = shale(source, 'push', '-q', 'words/app:1', `${registry.host}/words/app:1`);
  assert.equal(pushed.status, 0, pushed.stderr);
  const digest = pushed.stdout.trim().split('@')[1]!;
  const [facts] = JSON.parse(shale(source, 'inspect', id, '--json').stdout) as {
    RepoDigests: string[];
  }[];
  assert.ok(
    facts!.RepoDigests.includes(`${registry.host}/words/app@${digest}`),
    JSON.stringify(facts!.RepoDigests),
  );
});

test('pull ends with Digest: and Status: on stderr; a second pull is up to date', () => {
  shale(source, 'push', '-q', 'words/app:1', `${registry.host}/words/app:1`);
  const ref = `${registry.host}/words/app:1`;
  const digest = shale(source, 'push', '-q', 'words/app:1', ref).stdout.trim().split('@')[1]!;
  const root = freshRoot();
  const first = shale(root, 'pull', '--progress=plain', ref);
  assert.equal(first.status, 0, first.stderr);
  assert.equal(first.stdout, `${id}\n`);
  const tail = first.stderr.trimEnd().split('\n').slice(-2);
  assert.deepEqual(tail, [`Digest: ${digest}`, `Status: Downloaded newer image for ${ref}`]);
  const second = shale(root, 'pull', '--progress=plain', ref);
  assert.equal(second.stdout, `${id}\n`);
  assert.deepEqual(second.stderr.trimEnd().split('\n').slice(-2), [
    `Digest: ${digest}`,
    `Status: Image is up to date for ${ref}`,
  ]);
  const json = shale(root, 'pull', '--progress=json', ref);
  const events = json.stderr
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  assert.deepEqual(events.at(-1), {
    type: 'status',
    status: `Status: Image is up to date for ${ref}`,
  });
  assert.equal(events.at(-2)!.digest, digest);
  assert.equal(events.at(-2)!.updated, false);
  const quiet = shale(root, 'pull', '-q', ref);
  assert.equal(quiet.stderr, '');
  assert.equal(quiet.stdout, `${id}\n`);
});

test('pull --all-tags pulls every tag of the repository; a tag with it is refused', async () => {
  const repo = `${registry.host}/words/tags`;
  for (const tag of ['a', 'b', 'c'])
    assert.equal(shale(source, 'push', '-q', 'words/app:1', `${repo}:${tag}`).status, 0);
  const client = new RegistryClient();
  try {
    // Distribution 2.8 answers every tag at once (it pages only the catalog).
    assert.deepEqual((await listTags(client, parseDockerRef(repo))).sort(), ['a', 'b', 'c']);
  } finally {
    await client.close();
  }
  const root = freshRoot();
  const all = shale(root, 'pull', '--progress=plain', '--all-tags', repo);
  assert.equal(all.status, 0, all.stderr);
  assert.equal(all.stdout, `${id}\n${id}\n${id}\n`);
  assert.equal(
    all.stderr.trimEnd().split('\n').at(-1),
    `Status: Downloaded newer image for ${repo}`,
  );
  const [facts] = JSON.parse(shale(root, 'inspect', id, '--json').stdout) as {
    RepoTags: string[];
  }[];
  assert.deepEqual(
    facts!.RepoTags.sort(),
    ['a', 'b', 'c'].map((t) => `${repo}:${t}`),
  );
  const tagged = shale(root, 'pull', '-a', `${repo}:a`);
  assert.equal(tagged.status, 1);
  assert.equal(tagged.stderr, "shale: tag can't be used with --all-tags/-a\n");
});

test('--insecure is a flag (it does not take the reference); --insecure=HOST names a host', () => {
  const ref = `${registry.host}/words/app:1`;
  shale(source, 'push', '-q', 'words/app:1', ref);
  const root = freshRoot();
  const flag = shale(root, 'pull', '-q', '--insecure', ref);
  assert.equal(flag.status, 0, flag.stderr);
  assert.equal(flag.stdout, `${id}\n`);
  const named = shale(root, 'pull', '-q', `--insecure=${registry.host}`, ref);
  assert.equal(named.status, 0, named.stderr);
});

test('a TLS registry: trusted with --ca-file or certs.d/HOST/ca.crt, refused without', async () => {
  const ref = `${tlsRegistry.host}/words/app:1`;
  const pushed = shale(source, 'push', '-q', '--ca-file', pki.ca, 'words/app:1', ref);
  assert.equal(pushed.status, 0, pushed.stderr);
  const withFile = shale(freshRoot(), 'pull', '-q', '--ca-file', pki.ca, ref);
  assert.equal(withFile.status, 0, withFile.stderr);
  assert.equal(withFile.stdout, `${id}\n`);
  const certs = certsDir(tlsRegistry.host, { 'ca.crt': pki.ca });
  const withDir = await runShaleAsync(['--root', freshRoot(), 'pull', '-q', ref], {
    env: { SHALE_CERTS_D: certs },
  });
  assert.equal(withDir.status, 0, withDir.stderr);
  assert.equal(withDir.stdout, `${id}\n`);
  // certs.d exists but holds no CA for this server: HTTPS with the system's CAs, which refuse it.
  const empty = certsDir(tlsRegistry.host, {});
  const refused = await runShaleAsync(['--root', freshRoot(), 'pull', '-q', ref], {
    env: { SHALE_CERTS_D: empty },
  });
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /^shale: .*(certificate|self.signed|issuer)/i);
});

test('mutual TLS: certs.d client.cert + client.key are presented; a key without its cert is refused', async () => {
  const ref = `${mtlsRegistry.host}/words/app:1`;
  const host = mtlsRegistry.host;
  const full = certsDir(host, {
    'ca.crt': pki.ca,
    'client.cert': pki.clientCert,
    'client.key': pki.clientKey,
  });
  const env = { SHALE_CERTS_D: full };
  const pushed = await runShaleAsync(['--root', source, 'push', '-q', 'words/app:1', ref], { env });
  assert.equal(pushed.status, 0, pushed.stderr);
  const pulled = await runShaleAsync(['--root', freshRoot(), 'pull', '-q', ref], { env });
  assert.equal(pulled.status, 0, pulled.stderr);
  assert.equal(pulled.stdout, `${id}\n`);
  const caOnly = shale(freshRoot(), 'pull', '-q', '--ca-file', pki.ca, ref);
  assert.equal(caOnly.status, 1, 'no client certificate: the registry refuses the handshake');
  const keyOnly = certsDir(host, { 'ca.crt': pki.ca, 'client.key': pki.clientKey });
  const broken = await runShaleAsync(['--root', freshRoot(), 'pull', '-q', ref], {
    env: { SHALE_CERTS_D: keyOnly },
  });
  assert.equal(broken.status, 1);
  assert.match(
    broken.stderr,
    /^shale: missing client certificate client\.cert for key client\.key/,
  );
});

/** A registry that pages tags/list as the distribution spec allows (`n`, `last`, `Link`). */
async function pagingRegistry(tags: string[]): Promise<{ host: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    if (url.pathname !== '/v2/paged/tags/list') return void res.writeHead(200).end('{}');
    const n = Number(url.searchParams.get('n'));
    const from = tags.findIndex((t) => t > (url.searchParams.get('last') ?? ''));
    const page = from < 0 ? [] : tags.slice(from, from + n);
    const more = from >= 0 && from + n < tags.length;
    if (more) res.setHeader('link', `</v2/paged/tags/list?n=${n}&last=${page.at(-1)}>; rel="next"`);
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ name: 'paged', tags: page }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { host: `127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) };
}

test('tags/list: listTags follows Link pages up to its bound', async () => {
  const pager = await pagingRegistry(['a', 'b', 'c', 'd', 'e']);
  const client = new RegistryClient();
  try {
    const ref = parseDockerRef(`${pager.host}/paged`);
    assert.deepEqual(await listTags(client, ref, { pageSize: 2 }), ['a', 'b', 'c', 'd', 'e']);
    await assert.rejects(
      listTags(client, ref, { pageSize: 2, maxPages: 2 }),
      /has more than 2 pages of tags/,
    );
  } finally {
    await client.close();
    await pager.close();
  }
});
