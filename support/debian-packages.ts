/**
 * The Debian packages that the tests, the demo and the benchmarks run as real peers and services,
 * and one way to make sure a set of them is there: a package counts as present when the command
 * it provides is on PATH; missing ones are installed with `apt-get` as root (package scripts kept
 * from starting services), else a one-line `SetupError` says what to run. Never skips anything.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface Package {
  /**
   * A command the package installs (looked for on PATH), or the absolute path of a file it
   * installs (a library has no command): how its presence is checked.
   */
  command: string;
  why: string;
}

export const TEST_PACKAGES: Record<string, Package> = {
  tar: { command: 'tar', why: 'GNU tar, the oracle of the tar property tests' },
  gzip: { command: 'gzip', why: 'gzip oracle' },
  'xz-utils': { command: 'xz', why: 'xz oracle' },
  bzip2: { command: 'bzip2', why: 'bzip2 oracle' },
  zstd: { command: 'zstd', why: 'zstd oracle' },
  attr: { command: 'setfattr', why: 'setfattr/getfattr for xattr trees' },
  jq: { command: 'jq', why: 'JSON checks in peer scripts' },
  openssl: { command: 'openssl', why: 'certificates for TLS registries' },
  'apache2-utils': { command: 'htpasswd', why: 'htpasswd for authenticated registries' },
  'docker-registry': { command: 'docker-registry', why: 'the real Distribution registry' },
  skopeo: { command: 'skopeo', why: 'peer: copies images to and from registries and layouts' },
  umoci: { command: 'umoci', why: 'peer: unpacks OCI layouts' },
  'tar-split': { command: 'tar-split', why: 'peer: tar-split metadata of migrated layers' },
  'docker.io': { command: 'dockerd', why: 'peer: a private dockerd for docker save/load tests' },
  'python3-docker': {
    command: '/usr/lib/python3/dist-packages/docker/__init__.py',
    why: "Python's Docker SDK (for /usr/bin/python3), a client of shale serve",
  },
};

/** What the demo needs: the registry it pushes to and pulls back from. */
export const DEMO_PACKAGES: Record<string, Package> = {
  'docker-registry': TEST_PACKAGES['docker-registry']!,
};

/** A setup step that cannot be done here; its message is one line saying what to do. */
export class SetupError extends Error {}

/** The full path of `command` on PATH, or undefined. */
export function commandPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

function installed(pkg: Package): boolean {
  if (path.isAbsolute(pkg.command)) return existsSync(pkg.command);
  return commandPath(pkg.command) !== undefined;
}

/**
 * Installs whichever of `packages` are missing; `log` hears what is being installed. Throws a
 * SetupError when that cannot be done (not root, no dpkg, apt-get failing).
 */
export function ensureDebianPackages(
  packages: Record<string, Package>,
  log: (line: string) => void,
): void {
  const missing = Object.keys(packages).filter((p) => !installed(packages[p]!));
  if (missing.length === 0) return;
  const command = `apt-get update && apt-get install -y ${missing.join(' ')}`;
  if (process.getuid?.() !== 0)
    throw new SetupError(`missing Debian packages ${missing.join(', ')}; as root run: ${command}`);
  log(`installing Debian packages: ${missing.map((p) => `${p} (${packages[p]!.why})`).join(', ')}`);
  // Keep package scripts from starting services (docker-registry would otherwise take port 5000).
  const policy = '/usr/sbin/policy-rc.d';
  const ownPolicy = !existsSync(policy);
  if (ownPolicy) writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const stdio: ['ignore', 'ignore', 'pipe'] = ['ignore', 'ignore', 'pipe'];
    execFileSync('apt-get', ['update'], { stdio, env });
    execFileSync('apt-get', ['install', '-y', '--no-install-recommends', ...missing], {
      stdio,
      env,
    });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim().split('\n').pop();
    throw new SetupError(`apt-get failed (${stderr ?? String(err)}); run by hand: ${command}`);
  } finally {
    if (ownPolicy) unlinkSync(policy);
  }
  const still = missing.filter((p) => !installed(packages[p]!));
  if (still.length > 0)
    throw new SetupError(`still missing after apt-get: ${still.join(', ')}; run: ${command}`);
}
