/**
 * A private dockerd (Debian docker.io 20.10): unix socket only, no iptables, no bridge, all of its
 * state in a temp dir of its own; stopped by PID. Needs root and `dockerd`; `dockerUnavailable()`
 * says why none can run. Shared by the peer tests (test/helpers/docker-daemon.ts re-exports it)
 * and the benchmarks. Docker treats registries on 127.0.0.0/8 as insecure (plain HTTP) without
 * any `--insecure-registry` setting.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface DockerDaemonOptions {
  /** Storage driver; default vfs (works everywhere, copies every layer in full). */
  driver?: 'vfs' | 'overlay2';
  /** Where the daemon's temp dir goes (its data root included); default the OS temp dir. */
  parent?: string;
}

export interface DockerDaemon {
  /** Run the docker client against this daemon; throws with its stderr on failure. */
  docker(args: string[]): string;
  /** The client binary and the environment that points it at this daemon (for timed runs). */
  client: string;
  env: NodeJS.ProcessEnv;
  driver: string;
  /** dockerd's PID (its CPU time is where a `docker` command's work happens). */
  pid: number;
  stop(): Promise<void>;
}

function which(command: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** Why no daemon can run here, or undefined when one can. */
export function dockerUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'dockerd needs root';
  if (!which('dockerd')) return 'dockerd is not installed (Debian package docker.io)';
  return undefined;
}

/**
 * The client shipped with dockerd (same version: Debian's docker.io puts dockerd in /usr/sbin and
 * docker in /usr/bin), else whatever `docker` is on PATH.
 */
function dockerClient(): string {
  const sbin = path.dirname(which('dockerd')!);
  const candidates = [path.join(sbin, 'docker'), path.join(sbin, '..', 'bin', 'docker')];
  return candidates.find((file) => fs.existsSync(file)) ?? 'docker';
}

async function waitFor(ready: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end;) {
    if (ready()) return true;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return ready();
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function startDockerDaemon(options: DockerDaemonOptions = {}): Promise<DockerDaemon> {
  const driver = options.driver ?? 'vfs';
  // short: a unix socket path must stay under 108 bytes
  const dir = fs.mkdtempSync(path.join(options.parent ?? tmpdir(), 'shale-dockerd-'));
  const socket = path.join(dir, 'docker.sock');
  const log = fs.openSync(path.join(dir, 'dockerd.log'), 'w');
  const child = spawn(
    'dockerd',
    [
      `--storage-driver=${driver}`,
      '--iptables=false',
      '--ip6tables=false',
      '--bridge=none',
      '--ip-forward=false',
      '--ip-masq=false',
      '--userland-proxy=false',
      `--host=unix://${socket}`,
      `--data-root=${path.join(dir, 'root')}`,
      `--exec-root=${path.join(dir, 'exec')}`,
      `--pidfile=${path.join(dir, 'dockerd.pid')}`,
    ],
    { detached: true, stdio: ['ignore', log, log] },
  );
  fs.closeSync(log);
  const pid = child.pid!;
  child.unref();
  const client = dockerClient();
  const env = {
    ...process.env,
    DOCKER_HOST: `unix://${socket}`,
    DOCKER_CONFIG: path.join(dir, 'client'),
  };
  const docker = (args: string[]): string => {
    const r = spawnSync(client, args, { env, encoding: 'utf8', maxBuffer: 1 << 26 });
    if (r.status !== 0) throw new Error(`docker ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const stop = async (): Promise<void> => {
    if (alive(pid)) process.kill(pid, 'SIGTERM');
    if (!(await waitFor(() => !alive(pid), 15_000))) process.kill(pid, 'SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const up = await waitFor(() => spawnSync(client, ['version'], { env }).status === 0, 30_000);
  if (!up) {
    const tail = fs.readFileSync(path.join(dir, 'dockerd.log'), 'utf8').slice(-2000);
    await stop();
    throw new Error(`dockerd did not come up:\n${tail}`);
  }
  return { docker, client, env, driver, pid, stop };
}
