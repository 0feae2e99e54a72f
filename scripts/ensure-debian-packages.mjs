#!/usr/bin/env node
// Makes sure the Debian packages that shale's tests use are installed: installs the missing ones
// with apt-get when running as root, and fails loudly (exit 1) when it cannot. Never skips.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, unlinkSync, writeFileSync } from 'node:fs';

// package -> why the tests need it
const PACKAGES = {
  tar: 'GNU tar, the oracle of the tar property tests',
  gzip: 'gzip oracle',
  'xz-utils': 'xz oracle',
  bzip2: 'bzip2 oracle',
  zstd: 'zstd oracle',
  attr: 'setfattr/getfattr for xattr trees',
  jq: 'JSON checks in peer scripts',
  openssl: 'certificates for TLS registries',
  'apache2-utils': 'htpasswd for authenticated registries',
  'docker-registry': 'the real Distribution registry',
  skopeo: 'peer: copies images to and from registries and layouts',
  umoci: 'peer: unpacks OCI layouts',
  'docker.io': 'peer: a private dockerd for docker save/load tests',
};

function installed(pkg) {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() === 'install ok installed';
}

const missing = Object.keys(PACKAGES).filter((p) => !installed(p));
if (missing.length === 0) process.exit(0);

const list = missing.map((p) => `  ${p} (${PACKAGES[p]})`).join('\n');
if (process.getuid?.() !== 0) {
  console.error(
    `shale tests: missing Debian packages:\n${list}\nInstall them as root:\n  apt-get update && apt-get install -y ${missing.join(' ')}`,
  );
  process.exit(1);
}

console.error(`shale tests: installing Debian packages:\n${list}`);
// Keep package scripts from starting services (docker-registry would otherwise grab port 5000).
const POLICY = '/usr/sbin/policy-rc.d';
const ownPolicy = !existsSync(POLICY);
if (ownPolicy) writeFileSync(POLICY, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
try {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update'], { stdio: ['ignore', 'ignore', 'inherit'], env });
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', ...missing], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env,
  });
} catch (err) {
  console.error(
    `shale tests: apt-get failed (${err.message}); install by hand: apt-get install -y ${missing.join(' ')}`,
  );
  process.exit(1);
} finally {
  if (ownPolicy) unlinkSync(POLICY);
}
const still = missing.filter((p) => !installed(p));
if (still.length > 0) {
  console.error(`shale tests: still missing after apt-get: ${still.join(' ')}`);
  process.exit(1);
}
