// `shale serve --tlsverify`: mutual TLS on TCP listeners, as dockerd. Certificates made with the
// openssl CLI (a CA, a server certificate for IP 127.0.0.1, a client certificate; another CA and
// a client certificate it signed). The real docker clients (28.x and Debian's 20.10) drive the
// server over TLS; clients without a certificate, with one from another CA, or speaking plain
// HTTP are refused; the Origin refusal, API versions and the SIGTERM stop work there as on a
// socket. Every bad flag combination exits 1 with a `shale:` line, listens nowhere and leaves the
// store root untouched. Non-loopback TCP is only parsed, never bound (servers here listen on
// 127.0.0.1 only).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { commandPath } from '../../support/debian-packages.ts';
import { parseHost } from '../../src/api/listen.ts';
import { runShaleAsync, SHALE_BIN } from '../helpers/shale.ts';
import { freePort } from '../../support/free-port.ts';

/** The docker 28 client and Debian's docker.io 20.10 client. */
const DOCKER_CLIENTS = ['/usr/local/bin/docker', '/usr/bin/docker'];

let work: string;
let certs: string;
const pem = (name: string) => path.join(certs, name);

function openssl(...args: string[]): void {
  const run = spawnSync('openssl', args, { cwd: certs, encoding: 'utf8' });
  assert.equal(run.status, 0, `openssl ${args.join(' ')}: ${run.stderr}`);
}

/** `NAME.key` and a certificate `NAME.pem` for `subject`, signed by `caName` with `extensions`. */
function issue(name: string, subject: string, caName: string, extensions: string): void {
  openssl(
    ...['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'],
    ...['-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject],
  );
  fs.writeFileSync(pem(`${name}.ext`), extensions);
  openssl(
    ...['x509', '-req', '-in', `${name}.csr`, '-CA', `${caName}.pem`, '-CAkey', `${caName}.key`],
    ...['-CAcreateserial', '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.pem`],
  );
}

function makeCa(name: string, subject: string): void {
  openssl(
    ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'],
    ...['-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', subject],
  );
}

before(() => {
  assert.ok(
    commandPath('openssl'),
    'the openssl CLI is missing: install the Debian package openssl (.ci/run does)',
  );
  work = fs.mkdtempSync(path.join(tmpdir(), 'shale-tls-'));
  certs = path.join(work, 'certs');
  fs.mkdirSync(certs);
  makeCa('ca', '/CN=shale test CA');
  issue(
    'server',
    '/CN=shale server',
    'ca',
    'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n',
  );
  issue('client', '/CN=docker client', 'ca', 'extendedKeyUsage=clientAuth\n');
  makeCa('other-ca', '/CN=another CA');
  issue('stranger', '/CN=stranger', 'other-ca', 'extendedKeyUsage=clientAuth\n');
  openssl(
    ...['genpkey', '-algorithm', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'],
    ...['-aes-256-cbc', '-pass', 'pass:secret', '-out', 'encrypted.key'],
  );
  fs.writeFileSync(pem('garbage.pem'), 'not a certificate\n');
  fs.writeFileSync(
    pem('corrupt.pem'),
    '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n',
  );
});

after(() => {
  fs.rmSync(work, { recursive: true, force: true });
});

/** Whether anything accepts a TCP connection on 127.0.0.1:port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

interface Answer {
  status: number;
  body: string;
}

/** TLS options of a client trusting the test CA, presenting `client`'s certificate if given. */
function clientTls(client?: string): tls.ConnectionOptions {
  const ca = fs.readFileSync(pem('ca.pem'));
  if (client === undefined) return { ca };
  return {
    ca,
    cert: fs.readFileSync(pem(`${client}.pem`)),
    key: fs.readFileSync(pem(`${client}.key`)),
  };
}

/** A TLS 1.2 handshake with 127.0.0.1:port (where a refused client certificate fails it). */
function handshakeTls12(port: number, client?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const options = {
      host: '127.0.0.1',
      port,
      maxVersion: 'TLSv1.2' as const,
      ...clientTls(client),
    };
    const socket = tls.connect(options, () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', reject);
  });
}

/** One HTTPS request to 127.0.0.1:port trusting the test CA, presenting `client` if given. */
function tlsRequest(
  port: number,
  urlPath: string,
  options: { client?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        path: urlPath,
        agent: false,
        headers: options.headers,
        ...clientTls(options.client),
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('error', reject);
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** `shale serve --tlsverify … --host tcp://127.0.0.1:PORT` as a child, ready when this resolves. */
async function serveTls(root: string) {
  const port = await freePort();
  const host = `tcp://127.0.0.1:${port}`;
  const child = spawn(
    process.execPath,
    [SHALE_BIN, '--root', root, 'serve', ...tlsFlags(), '--host', host],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  for (let i = 0; ; i++) {
    const up = await tlsRequest(port, '/_ping', { client: 'client' }).then(
      (answer) => answer.status === 200 && answer.body === 'OK',
      () => false,
    );
    if (up) break;
    if (i > 200 || child.exitCode !== null)
      throw new Error(`shale serve did not come up: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { port, host, child, exited, stderr: () => stderr };
}

/** `--tlsverify` and the three files (the test CA, the server's certificate and key by default). */
function tlsFlags(files: { ca?: string; cert?: string; key?: string } = {}): string[] {
  const { ca = pem('ca.pem'), cert = pem('server.pem'), key = pem('server.key') } = files;
  return ['--tlsverify', '--tlscacert', ca, '--tlscert', cert, '--tlskey', key];
}

/** The docker CLI's own flags for TLS to the server as `client`. */
function dockerTls(host: string, client: string): string[] {
  const identity = ['--tlscert', pem(`${client}.pem`), '--tlskey', pem(`${client}.key`)];
  return ['--tlsverify', '--tlscacert', pem('ca.pem'), ...identity, '-H', host];
}

test('the docker clients drive the server over mutual TLS; SIGTERM with events attached exits 0', async () => {
  const root = path.join(work, 'root-served');
  const server = await serveTls(root);
  assert.match(
    server.stderr(),
    new RegExp(`serving the Engine API on ${server.host} \\(mutual TLS\\)`),
  );
  const dockerConfig = fs.mkdtempSync(path.join(work, 'docker-config-'));
  const env = { ...process.env, DOCKER_CONFIG: dockerConfig };
  const tarball = path.join(work, 'probe.tar');
  fs.mkdirSync(path.join(work, 'probe'));
  fs.writeFileSync(path.join(work, 'probe', 'hello.txt'), 'over TLS\n');
  assert.equal(spawnSync('tar', ['-cf', tarball, '-C', path.join(work, 'probe'), '.']).status, 0);
  try {
    for (const [i, docker] of DOCKER_CLIENTS.entries()) {
      const run = (...args: string[]) =>
        spawnSync(docker, [...dockerTls(server.host, 'client'), ...args], {
          env,
          encoding: 'utf8',
        });
      const version = run('version', '--format', '{{.Server.APIVersion}}');
      assert.equal(version.status, 0, `${docker} version: ${version.stderr}`);
      assert.match(version.stdout, /^1\.\d+\n$/);
      // a request body (the tarball) streamed over TLS, then the image it made listed
      const repo = `tls/probe-${i}`;
      const imported = run('import', tarball, `${repo}:v1`);
      assert.equal(imported.status, 0, `${docker} import: ${imported.stderr}`);
      const images = run('images', '--format', '{{.Repository}}:{{.Tag}}');
      assert.equal(images.status, 0, `${docker} images: ${images.stderr}`);
      assert.match(images.stdout, new RegExp(`^${repo}:v1$`, 'm'));
    }

    // the docker CLI with a certificate from another CA is refused
    const stranger = spawnSync('docker', [...dockerTls(server.host, 'stranger'), 'images'], {
      env,
      encoding: 'utf8',
    });
    assert.equal(stranger.status, 1, stranger.stdout);
    // (Go offers only a certificate from a CA the server names, so it sends none)
    assert.match(stranger.stderr, /remote error: tls: certificate required/);

    // the graceful stop works on the TLS listener: an attached events stream does not hold it
    const events = spawn(
      'docker',
      [...dockerTls(server.host, 'client'), 'events', '--format', '{{.Action}}'],
      { env },
    );
    let printed = '';
    events.stdout.on('data', (c: Buffer) => (printed += c.toString()));
    const eventsExited = new Promise((resolve) => events.once('exit', resolve));
    // the client is attached once a tag made after it started shows in its output
    for (const deadline = Date.now() + 10_000; !printed.includes('tag');) {
      assert.ok(Date.now() < deadline, 'docker events never showed a tag');
      const tagged = spawnSync(
        'docker',
        [...dockerTls(server.host, 'client'), 'tag', 'tls/probe-0:v1', 'events/probe'],
        { env, encoding: 'utf8' },
      );
      assert.equal(tagged.status, 0, tagged.stderr);
      await new Promise((r) => setTimeout(r, 200));
    }
    const start = Date.now();
    server.child.kill('SIGTERM');
    assert.equal(await server.exited, 0, server.stderr());
    assert.ok(Date.now() - start < 2_000, 'shutdown waited for the events stream');
    events.kill('SIGKILL');
    await eventsExited;
    assert.equal(await accepts(server.port), false);
  } finally {
    server.child.kill('SIGKILL');
  }
});

test('clients without a certificate, with one from another CA, or in plain HTTP are refused', async () => {
  const server = await serveTls(path.join(work, 'root-refusals'));
  try {
    await assert.rejects(tlsRequest(server.port, '/_ping'), (err: NodeJS.ErrnoException) => {
      assert.equal(err.code, 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', err.message);
      return true;
    });
    // TLS 1.3 completes the client's side of the handshake before the server checks it; with
    // TLS 1.2 the refusal is the handshake failing
    await assert.rejects(handshakeTls12(server.port), /alert handshake failure/);
    // a certificate from another CA: the server drops the connection in the handshake
    await assert.rejects(
      tlsRequest(server.port, '/_ping', { client: 'stranger' }),
      (err: NodeJS.ErrnoException) => {
        assert.equal(err.code, 'ECONNRESET', err.message);
        return true;
      },
    );
    await assert.rejects(handshakeTls12(server.port, 'stranger'), (err: NodeJS.ErrnoException) => {
      assert.equal(err.code, 'ECONNRESET', err.message);
      return true;
    });
    await handshakeTls12(server.port, 'client');
    await assert.rejects(
      new Promise((resolve, reject) => {
        http
          .get({ host: '127.0.0.1', port: server.port, path: '/_ping', agent: false }, resolve)
          .on('error', reject);
      }),
      (err: NodeJS.ErrnoException) => {
        assert.equal(err.code, 'ECONNRESET', err.message);
        return true;
      },
    );

    // and the server keeps serving the clients it should, with the guards of every listener
    const ping = await tlsRequest(server.port, '/v1.41/_ping', { client: 'client' });
    assert.deepEqual(ping, { status: 200, body: 'OK' });
    const fromPage = await tlsRequest(server.port, '/images/json', {
      client: 'client',
      headers: { origin: 'https://example.com' },
    });
    assert.equal(fromPage.status, 403);
    assert.match(fromPage.body, /Origin/);
    const tooNew = await tlsRequest(server.port, '/v9.99/version', { client: 'client' });
    assert.equal(tooNew.status, 400);
    assert.match(tooNew.body, /client version 9\.99 is too new/);
  } finally {
    server.child.kill('SIGTERM');
    assert.equal(await server.exited, 0, server.stderr());
  }
});

test('bad TLS flags: exit 1 with a shale: line, nothing listening, the store root untouched', async () => {
  const port = await freePort();
  const host = ['--host', `tcp://127.0.0.1:${port}`];
  const missing = path.join(certs, 'missing.pem');
  const cases: { args: string[]; message: string | RegExp }[] = [
    {
      args: ['--tlsverify'],
      message:
        '--tlsverify needs --tlscacert, --tlscert and --tlskey (missing: --tlscacert, --tlscert, --tlskey)',
    },
    {
      args: ['--tlsverify', '--tlscacert', pem('ca.pem')],
      message:
        '--tlsverify needs --tlscacert, --tlscert and --tlskey (missing: --tlscert, --tlskey)',
    },
    {
      args: ['--tlscert', pem('server.pem'), '--tlskey', pem('server.key')],
      message:
        /^--tlscert, --tlskey without --tlsverify: shale serves TLS only with client certificates checked against --tlscacert \(mutual TLS/,
    },
    {
      args: ['--tlscacert', pem('ca.pem')],
      message: /^--tlscacert without --tlsverify: /,
    },
    {
      args: tlsFlags({ ca: missing }),
      message: `--tlscacert ${missing}: cannot read it: no such file or directory`,
    },
    {
      args: tlsFlags({ cert: certs }),
      message: `--tlscert ${certs}: cannot read it: it is a directory`,
    },
    {
      args: tlsFlags({ ca: pem('garbage.pem') }),
      message: `--tlscacert ${pem('garbage.pem')}: no PEM certificate in it`,
    },
    {
      args: tlsFlags({ cert: pem('garbage.pem') }),
      message: `--tlscert ${pem('garbage.pem')}: no PEM certificate in it`,
    },
    {
      args: tlsFlags({ cert: pem('corrupt.pem') }),
      message: new RegExp(`^--tlscert ${pem('corrupt.pem')}: not a valid certificate \\(`),
    },
    {
      args: tlsFlags({ ca: '/dev/zero' }),
      message: '--tlscacert /dev/zero: larger than a PEM file can be',
    },
    {
      // a key where the certificate belongs
      args: tlsFlags({ cert: pem('server.key') }),
      message: `--tlscert ${pem('server.key')}: no PEM certificate in it`,
    },
    {
      args: tlsFlags({ key: pem('garbage.pem') }),
      message: new RegExp(`^--tlskey ${pem('garbage.pem')}: not a PEM private key \\(`),
    },
    {
      args: tlsFlags({ key: pem('encrypted.key') }),
      message: `--tlskey ${pem('encrypted.key')}: the key is encrypted; give it unencrypted, as dockerd needs`,
    },
    {
      args: tlsFlags({ key: pem('client.key') }),
      message: `--tlskey ${pem('client.key')} is not the key of the certificate in --tlscert ${pem('server.pem')}`,
    },
  ];
  for (const [i, { args, message }] of cases.entries()) {
    const root = path.join(work, `root-bad-${i}`);
    const run = await runShaleAsync(['--root', root, 'serve', ...args, ...host]);
    const shown = `shale serve ${args.join(' ')}: ${run.stderr}`;
    assert.equal(run.status, 1, shown);
    assert.match(run.stderr, /^shale: [^\n]+\n$/, shown);
    const line = run.stderr.slice('shale: '.length, -1);
    if (typeof message === 'string') assert.equal(line, message, shown);
    else assert.match(line, message, shown);
    assert.equal(fs.existsSync(root), false, `${shown}: the store root was created`);
    assert.equal(await accepts(port), false, `${shown}: something listens on ${port}`);
  }
});

test('TCP on other addresses than loopback is refused without --tlsverify', async () => {
  const root = path.join(work, 'root-open');
  for (const address of [
    'tcp://0.0.0.0:2375',
    'tcp://[::]:2375',
    'tcp://192.0.2.1:2375',
    'tcp://example.com:2375',
  ]) {
    const run = await runShaleAsync(['--root', root, 'serve', '--host', address]);
    assert.equal(run.status, 1, run.stderr);
    assert.equal(
      run.stderr,
      `shale: --host ${address}: without --tlsverify shale serves TCP on loopback addresses only (anyone who reaches the port could drive the store); use a unix socket, tcp://127.0.0.1:PORT, or mutual TLS (--tlsverify --tlscacert --tlscert --tlskey)\n`,
    );
  }
});

test('parseHost: with mutual TLS any TCP address is accepted; without, loopback only', () => {
  assert.deepEqual(parseHost('tcp://0.0.0.0:2376', true), {
    kind: 'tcp',
    host: '0.0.0.0',
    port: 2376,
  });
  assert.deepEqual(parseHost('tcp://[::]:2376', true), { kind: 'tcp', host: '::', port: 2376 });
  assert.deepEqual(parseHost('tcp://build-host.example:2376', true), {
    kind: 'tcp',
    host: 'build-host.example',
    port: 2376,
  });
  assert.deepEqual(parseHost('unix:///run/x.sock', true), { kind: 'unix', path: '/run/x.sock' });
  for (const loopback of ['127.0.0.1', '[::1]', 'localhost'])
    assert.equal(parseHost(`tcp://${loopback}:2375`, false).kind, 'tcp');
  for (const open of ['0.0.0.0', '[::]', '10.0.0.1', 'build-host.example', '127.0.0.1.example'])
    assert.throws(() => parseHost(`tcp://${open}:2375`, false), /loopback addresses only/);
  assert.throws(() => parseHost('tcp://0.0.0.0:70000', true), /port 70000 is out of range/);
});
