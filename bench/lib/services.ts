/**
 * The servers the registry and daemon cases need, all private and on 127.0.0.1: a Distribution
 * registry (the pull source), a second registry wiped before every push run, a private dockerd
 * (overlay2, its data root in the work directory) and podman when installed. What cannot start
 * is recorded with the reason, so its cases print the peer as missing.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { commandPath } from '../../support/debian-packages.ts';
import { startRegistry, type TestRegistry } from '../../support/registry.ts';
import {
  dockerUnavailable,
  startDockerDaemon,
  type DockerDaemon,
} from '../../support/docker-daemon.ts';
import { hasCommand } from './env.ts';

export interface Services {
  registry?: TestRegistry;
  docker?: DockerDaemon;
  /** `podman` with private storage flags, when installed. */
  podman?: string[];
  /** Why a service is absent: registry, docker, podman. */
  missing: Partial<Record<'registry' | 'docker' | 'podman', string>>;
  /** Stops the previous push registry (if any) and starts an empty one; returns its host. */
  freshPushRegistry(): Promise<string>;
  stop(): Promise<void>;
}

export interface ServiceNeeds {
  registry: boolean;
  docker: boolean;
  podman: boolean;
}

export async function startServices(
  work: string,
  needs: ServiceNeeds,
  log: (m: string) => void,
): Promise<Services> {
  const missing: Services['missing'] = {};
  let registry: TestRegistry | undefined;
  let docker: DockerDaemon | undefined;
  let podman: string[] | undefined;
  let pushRegistry: TestRegistry | undefined;
  if (needs.registry) {
    if (!commandPath('docker-registry')) missing.registry = 'docker-registry not installed';
    else {
      registry = await startRegistry();
      log(`registry on ${registry.host}`);
    }
  }
  if (needs.docker) {
    const why = dockerUnavailable();
    if (why) missing.docker = why;
    else {
      docker = await startDockerDaemon({ driver: 'overlay2', parent: work });
      log(`dockerd (${docker.driver}) pid ${docker.pid}`);
    }
  }
  if (needs.podman) {
    if (!hasCommand('podman')) missing.podman = 'podman not installed';
    else {
      const dir = path.join(work, 'podman');
      mkdirSync(dir, { recursive: true });
      podman = [
        'podman',
        ...['--root', path.join(dir, 'root'), '--runroot', path.join(dir, 'run')],
        ...['--storage-driver', 'overlay', '--cgroup-manager', 'cgroupfs'],
        ...['--events-backend', 'file', '--tmpdir', path.join(dir, 'tmp')],
      ];
    }
  }
  return {
    registry,
    docker,
    podman,
    missing,
    async freshPushRegistry() {
      await pushRegistry?.stop();
      pushRegistry = await startRegistry();
      return pushRegistry.host;
    },
    async stop() {
      await pushRegistry?.stop();
      await registry?.stop();
      await docker?.stop();
    },
  };
}

/**
 * A docker client command against a daemon (env passed through `env`, which execs): the private
 * dockerd with its own client, or any `client` and `DOCKER_HOST`.
 */
export function dockerCommand(
  docker: Pick<DockerDaemon, 'client' | 'env'>,
  args: string[],
): string[] {
  return [
    'env',
    `DOCKER_HOST=${docker.env.DOCKER_HOST}`,
    `DOCKER_CONFIG=${docker.env.DOCKER_CONFIG}`,
    docker.client,
    ...args,
  ];
}
