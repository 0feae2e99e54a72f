/**
 * A private dockerd for peer tests: the launcher lives in support/docker-daemon.ts (the
 * benchmarks time docker with it too); tests use its defaults (vfs, state in the OS temp dir).
 */
export {
  dockerUnavailable,
  startDockerDaemon,
  type DockerDaemon,
} from '../../support/docker-daemon.ts';
