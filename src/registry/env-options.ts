/**
 * Registry client settings a user gives through the environment, shared by every shell (the CLI
 * and `shale serve`): `SHALE_INSECURE_REGISTRIES` (comma-separated hosts reached over plain
 * HTTP), `SHALE_CERTS_D` (instead of /etc/docker/certs.d), and the network time limits
 * `SHALE_READ_TIMEOUT`, seconds an answer may go without a byte (default 30), and
 * `SHALE_BLOB_TIMEOUT`, seconds one blob or document may take, every retry included (default
 * 3600). `0` lifts a limit; fractions are allowed. Pull mirrors come from the registries config
 * and daemon.json a shell names, else `SHALE_REGISTRIES_CONF` / `SHALE_DOCKER_DAEMON_JSON`
 * (mirror-config.ts).
 */
import { limitFromEnv } from '../core/env-limit.ts';
import type { RegistryClientOptions } from './client.ts';
import { loadMirrorSettings, type MirrorFiles } from './mirror-config.ts';
import type { RetryPolicy } from './transport/retry-policy.ts';

/** Milliseconds from a number of seconds in `name`; 0 (no limit) stays 0, as undici and the policy read it. */
function secondsFromEnv(name: string): number | undefined {
  const seconds = limitFromEnv(name, { unit: 'a number of seconds' });
  if (seconds === undefined) return undefined;
  return seconds === Infinity ? 0 : Math.round(seconds * 1000);
}

/** The retry-policy overrides the environment asks for. */
function networkLimitsFromEnv(): Partial<RetryPolicy> {
  const read = secondsFromEnv('SHALE_READ_TIMEOUT');
  const blob = secondsFromEnv('SHALE_BLOB_TIMEOUT');
  return {
    ...(read !== undefined && { readTimeoutMs: read }),
    ...(blob !== undefined && { operationTimeoutMs: blob }),
  };
}

/** The hosts `SHALE_INSECURE_REGISTRIES` names. */
export function insecureRegistriesFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env.SHALE_INSECURE_REGISTRIES ?? '')
    .split(',')
    .map((h) => h.trim())
    .filter((h) => h !== '');
}

/** Client options from the environment and the mirror config files (a shell adds its own flags on top). */
export function registryOptionsFromEnv(files: MirrorFiles = {}): RegistryClientOptions {
  const mirrors = loadMirrorSettings(files);
  return {
    insecureHosts: [...insecureRegistriesFromEnv(), ...mirrors.insecureHosts],
    mirrors: mirrors.rules,
    ...(process.env.SHALE_CERTS_D && { certsDir: process.env.SHALE_CERTS_D }),
    retry: networkLimitsFromEnv(),
  };
}
