// A real Distribution registry (Debian's docker-registry, 2.8) for the tests, the demo and the benchmarks: generated
// config, filesystem storage with deletes enabled, a free loopback port, and optional htpasswd
// (bcrypt via `htpasswd -Bbn`) or token auth (the in-process server of token-server.ts).
// `stop()` kills the process by PID and removes the temp folder; a process-exit hook kills any
// registry a test forgot, so none outlives the test run. `uploadBlob` seeds it through the client.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { RegistryClient } from '../src/registry/client.ts';
import { commandPath, SetupError } from './debian-packages.ts';
import { startTokenServer, type TestUser, type TokenServer } from './token-server.ts';
import { freePort } from './free-port.ts';

export type { TestUser } from './token-server.ts';

const SERVICE = 'shale-test-registry';
const ISSUER = 'shale-test-issuer';

export interface RegistryOptions {
  auth?: 'none' | 'htpasswd' | 'token';
  /** Accounts for htpasswd/token auth; default one user `shale` / `shale-secret`. */
  users?: TestUser[];
  /** Accept schema1 manifest pushes (`compatibility.schema1.enabled`). */
  schema1?: boolean;
  /** Token auth: what anonymous callers may do; default `pull`. */
  anonymous?: 'pull' | 'none';
  /** Serve HTTPS with this PEM certificate and key; with `clientCas`, demand a client certificate. */
  tls?: { certificate: string; key: string; clientCas?: string[] };
  /** Run as a pull-through cache of the registry at this URL (`proxy.remoteurl`). */
  proxyOf?: string;
}

/** Where the registry keeps the bytes of blob `digest` in its filesystem storage. */
export function storedBlobFile(registry: TestRegistry, digest: string): string {
  const hex = digest.slice('sha256:'.length);
  return path.join(
    registry.storageDir,
    'docker/registry/v2/blobs/sha256',
    hex.slice(0, 2),
    hex,
    'data',
  );
}

export interface TestRegistry {
  /** `127.0.0.1:PORT`, the reference domain to use. */
  host: string;
  storageDir: string;
  logFile: string;
  users: TestUser[];
  /** The token server, for token auth. */
  tokenServer?: TokenServer;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export async function startRegistry(options: RegistryOptions = {}): Promise<TestRegistry> {
  const binary = commandPath('docker-registry');
  if (!binary)
    throw new SetupError('docker-registry is not installed: apt-get install docker-registry');
  const dir = mkdtempSync(path.join(tmpdir(), 'shale-registry-'));
  const users = options.users ?? [{ user: 'shale', password: 'shale-secret' }];
  const auth = options.auth ?? 'none';
  let tokenServer: TokenServer | undefined;
  let authYaml = '';
  if (auth === 'htpasswd') {
    const lines = users.map(({ user, password }) => {
      const r = spawnSync('htpasswd', ['-Bbn', user, password], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`htpasswd failed (apt-get install apache2-utils)`);
      return r.stdout.trim();
    });
    writeFileSync(path.join(dir, 'htpasswd'), `${lines.join('\n')}\n`);
    authYaml = `auth:\n  htpasswd:\n    realm: shale-basic\n    path: ${dir}/htpasswd\n`;
  } else if (auth === 'token') {
    tokenServer = await startTokenServer(dir, {
      issuer: ISSUER,
      service: SERVICE,
      users,
      anonymous: options.anonymous,
    });
    authYaml =
      `auth:\n  token:\n    realm: ${tokenServer.realm}\n    service: ${SERVICE}\n` +
      `    issuer: ${ISSUER}\n    rootcertbundle: ${tokenServer.certFile}\n`;
  }
  const storageDir = path.join(dir, 'storage');
  const logFile = path.join(dir, 'registry.log');
  try {
    for (let tries = 1; ; tries++) {
      const port = await freePort();
      const configFile = path.join(dir, 'config.yml');
      const http = tlsYaml(options.tls);
      const proxy =
        options.proxyOf === undefined ? '' : `proxy:\n  remoteurl: ${options.proxyOf}\n`;
      writeFileSync(
        configFile,
        config(port, storageDir, `${proxy}${authYaml}`, options.schema1 === true, http),
      );
      const child = launch(binary, configFile, logFile);
      if (await answers(port, child)) {
        const host = `127.0.0.1:${port}`;
        const stop = async () => {
          await stopChild(child);
          await tokenServer?.stop();
          rmSync(dir, { recursive: true, force: true });
        };
        return { host, storageDir, logFile, users, tokenServer, stop };
      }
      await stopChild(child);
      if (tries === 3) {
        throw new Error(`registry did not start:\n${readFileSync(logFile, 'utf8').slice(-2000)}`);
      }
    }
  } catch (err) {
    await tokenServer?.stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** The `http.tls` section (indented under `http:`), or nothing. */
function tlsYaml(tls: RegistryOptions['tls']): string {
  if (!tls) return '';
  const clientCas = (tls.clientCas ?? []).map((file) => `      - ${file}\n`).join('');
  return (
    `  tls:\n    certificate: ${tls.certificate}\n    key: ${tls.key}\n` +
    (clientCas === '' ? '' : `    clientcas:\n${clientCas}`)
  );
}

function config(
  port: number,
  storage: string,
  authYaml: string,
  schema1: boolean,
  httpExtra = '',
): string {
  return `version: 0.1
log:
  level: info
  formatter: text
storage:
  filesystem:
    rootdirectory: ${storage}
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:${port}
  secret: test-${port}-${process.pid}
${httpExtra}${authYaml}compatibility:
  schema1:
    enabled: ${schema1}
health:
  storagedriver:
    enabled: false
`;
}

function launch(binary: string, configFile: string, logFile: string): ChildProcess {
  const log = openSync(logFile, 'a');
  const child = spawn(binary, ['serve', configFile], { stdio: ['ignore', log, log] });
  closeSync(log);
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

/** Polls /v2/ until it answers (any status) or the process dies; 20 s at most. */
async function answers(port: number, child: ChildProcess): Promise<boolean> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null || child.signalCode !== null) return false;
    const status = await new Promise<number>((resolve) => {
      http
        .get({ host: '127.0.0.1', port, path: '/v2/' }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
        .on('error', () => resolve(0));
    });
    if (status !== 0) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

/** Uploads `bytes` as a blob of `repository` with the client (POST an upload, PUT ?digest=). */
export async function uploadBlob(
  client: RegistryClient,
  host: string,
  repository: string,
  bytes: Buffer,
): Promise<string> {
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  const actions = ['pull', 'push'] as const;
  const started = await client.request({
    ...{ host, repository, method: 'POST', path: 'blobs/uploads/', actions },
  });
  await started.discard();
  const location = new URL(started.header('location') ?? '', `http://${host}`);
  location.searchParams.set('digest', digest);
  const done = await client.request({
    ...{ host, repository, method: 'PUT', url: location.href, actions, body: bytes },
    headers: { 'content-type': 'application/octet-stream' },
  });
  await done.discard();
  if (done.status !== 201) throw new Error(`blob upload answered ${done.status}`);
  return digest;
}
