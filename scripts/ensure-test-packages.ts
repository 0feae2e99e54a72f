#!/usr/bin/env node
// `npm test`'s first step: installs the Debian packages the tests use (as root), or exits 1 with
// one line saying what to run. Never skips.
import { ensureDebianPackages, SetupError, TEST_PACKAGES } from '../support/debian-packages.ts';

try {
  ensureDebianPackages(TEST_PACKAGES, (line) => console.error(`shale tests: ${line}`));
} catch (err) {
  if (!(err instanceof SetupError)) throw err;
  console.error(`shale tests: ${err.message}`);
  process.exit(1);
}
