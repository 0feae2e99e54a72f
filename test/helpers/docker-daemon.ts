/**
 * A private dockerd for peer tests: the launcher lives in support/docker-daemon.ts (the
 * benchmarks time docker with it too); tests use its defaults (vfs, state in the OS temp dir).
 */
import { dockerUnavailable as whyNoDocker } from '../../support/docker-daemon.ts';

export { startDockerDaemon, type DockerDaemon } from '../../support/docker-daemon.ts';

/**
 * Why dockerd cannot run here, for a peer test's `{ skip }` when a file is run by hand. Under
 * `npm test` (scripts/run-tests.mjs), which installs docker.io and runs as root, a missing daemon
 * is an error, never a skip presented as a pass.
 */
export function dockerUnavailable(): string | undefined {
  const why = whyNoDocker();
  if (why !== undefined && process.env.SHALE_TEST_PEERS_REQUIRED === '1')
    throw new Error(
      `this peer test needs dockerd, but ${why} (npm test installs docker.io, as root)`,
    );
  return why;
}
