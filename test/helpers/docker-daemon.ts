/**
 * A private dockerd for peer tests: the launcher lives in bench/lib/docker-daemon.ts (the
 * benchmarks time docker with it too); tests use its defaults (vfs, state in the OS temp dir).
 */
export {
  dockerUnavailable,
  startDockerDaemon,
  type DockerDaemon,
} from '../../bench/lib/docker-daemon.ts';
