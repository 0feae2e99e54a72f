/** What the numbers were measured with: peer tool versions and the machine. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

function firstLine(command: string, args: string[]): string | undefined {
  const r = spawnSync(command, args, { encoding: 'utf8' });
  if (r.error || r.status !== 0) return undefined;
  return `${r.stdout}${r.stderr}`.split('\n')[0]?.trim() || undefined;
}

export function hasCommand(command: string): boolean {
  return (
    spawnSync('sh', ['-c', 'command -v "$1"', 'sh', command], { stdio: 'ignore' }).status === 0
  );
}

export interface Environment {
  date: string;
  machine: {
    cpu: string;
    cores: number;
    memoryGiB: number;
    kernel: string;
    shaNi: boolean;
    loadAverage: number[];
  };
  versions: Record<string, string>;
}

export function describeEnvironment(node: string): Environment {
  let flags = '';
  try {
    flags = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    // not Linux
  }
  const versions: Record<string, string> = {
    node: firstLine(node, ['--version']) ?? process.version,
  };
  const peers: [string, string, string[]][] = [
    ['sha256sum', 'sha256sum', ['--version']],
    ['tar', 'tar', ['--version']],
    ['gzip', 'gzip', ['--version']],
    ['skopeo', 'skopeo', ['--version']],
    ['umoci', 'umoci', ['--version']],
    ['dockerd', 'dockerd', ['--version']],
    ['registry', '/usr/bin/docker-registry', ['--version']],
    ['podman', 'podman', ['--version']],
  ];
  for (const [name, command, args] of peers) {
    const line = firstLine(command, args);
    if (line) versions[name] = line;
  }
  return {
    date: new Date().toISOString(),
    machine: {
      cpu: os.cpus()[0]?.model ?? 'unknown',
      cores: os.availableParallelism(),
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      kernel: `${os.type()} ${os.release()}`,
      shaNi: /\bsha_ni\b/.test(flags),
      loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
    },
    versions,
  };
}
