/**
 * Starts the built `shale serve` as a child process on a fresh unix socket for API tests: waits
 * until the socket answers `/_ping`, gives the environment the docker CLI needs to talk to it
 * (DOCKER_HOST, and a DOCKER_CONFIG temp dir so the user's ~/.docker is never read or written),
 * and stops it with SIGTERM, resolving with the exit code.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { answersPing } from '../../support/serve-ping.ts';
import { SHALE_BIN } from './shale.ts';

export interface ServedShale {
  /** The unix socket path. */
  socket: string;
  /** `unix://SOCKET`. */
  host: string;
  /** process.env plus DOCKER_HOST and DOCKER_CONFIG, for spawning docker or an SDK. */
  env: NodeJS.ProcessEnv;
  /** The DOCKER_CONFIG directory (removed by stop()). */
  dockerConfig: string;
  /** What the server wrote to stderr so far. */
  stderr(): string;
  /** SIGTERM, then the exit code (null when killed by a signal). */
  stop(): Promise<number | null>;
}

export interface ServeOptions {
  /** Extra environment for the server process (default DOCKER_CONFIG: an empty temp dir). */
  env?: Record<string, string>;
  /** Give up waiting for the socket after this long. */
  timeoutMs?: number;
}

export interface ApiAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** One HTTP request over the unix socket; the whole answer is buffered (tests only). */
export function apiRequest(
  socket: string,
  urlPath: string,
  options: { method?: string; headers?: Record<string, string>; body?: Buffer | string } = {},
): Promise<ApiAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        socketPath: socket,
        // a fresh connection each time: a kept-alive one the server has since closed fails (EPIPE)
        agent: false,
        path: urlPath,
        method: options.method ?? 'GET',
        headers: options.headers,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** `shale --root ROOT serve --host unix://SOCK`, ready when this resolves. */
export async function startServe(root: string, options: ServeOptions = {}): Promise<ServedShale> {
  const dir = await mkdtemp(path.join(tmpdir(), 'shale-serve-'));
  const socket = path.join(dir, 'docker.sock');
  const dockerConfig = path.join(dir, 'docker-config');
  const host = `unix://${socket}`;
  await mkdir(dockerConfig);
  // The server's own credentials come from an empty config unless the test gives one.
  const serverConfig = path.join(dir, 'server-docker-config');
  await mkdir(serverConfig);
  const child = spawn(process.execPath, [SHALE_BIN, '--root', root, 'serve', '--host', host], {
    env: { ...process.env, DOCKER_CONFIG: serverConfig, ...options.env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  let gone = false;
  void exited.then(() => (gone = true));

  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  while (!(await answersPing(socket))) {
    if (gone || Date.now() > deadline) {
      child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
      throw new Error(`shale serve did not answer on ${socket}: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }

  return {
    socket,
    host,
    dockerConfig,
    env: { ...process.env, DOCKER_HOST: host, DOCKER_CONFIG: dockerConfig },
    stderr: () => stderr,
    async stop() {
      if (!gone) child.kill('SIGTERM');
      const code = await exited;
      await rm(dir, { recursive: true, force: true });
      return code;
    },
  };
}
