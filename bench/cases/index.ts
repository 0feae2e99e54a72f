/** Every case by name, in the order the table shows them; each is run on every fixture. */
import type { BenchImage } from '../lib/image.ts';
import type { Services } from '../lib/services.ts';
import type { BenchCase, SkippedCase } from '../lib/side.ts';
import { checkoutCase, checkoutDiffCase } from './checkout.ts';
import { copyCase } from './copy.ts';
import { applyDeepCase } from './apply-deep.ts';
import { loadCase, pullUnpackCase, saveCase } from './docker.ts';
import { fsckCase, fsckQuickCase } from './fsck.ts';
import { diffidCase, tarsumCase } from './hashing.ts';
import { migrateCase } from './migrate.ts';
import { mirrorPullCase } from './mirror.ts';
import { loadOciCase } from './oci-archive.ts';
import { PER_ENTRY_CASES } from './per-entry.ts';
import { pullCase, pullToDiskCase, pushCase } from './registry.ts';
import { serveImagesCase } from './serve-images.ts';
import { servePullCase } from './serve.ts';
import { unpackCase } from './unpack.ts';

type MakeCase = (image: BenchImage, services: Services) => BenchCase | SkippedCase;

const CASES: Record<string, MakeCase> = {
  tarsum: tarsumCase,
  diffid: diffidCase,
  unpack: unpackCase,
  'apply-deep': applyDeepCase,
  ...PER_ENTRY_CASES,
  checkout: checkoutCase,
  'checkout-diff': checkoutDiffCase,
  'fsck-quick': fsckQuickCase,
  fsck: fsckCase,
  pull: pullCase,
  'pull-disk': pullToDiskCase,
  'pull-unpack': pullUnpackCase,
  'mirror-pull': mirrorPullCase,
  push: pushCase,
  copy: copyCase,
  save: saveCase,
  load: loadCase,
  'load-oci': loadOciCase,
  migrate: migrateCase,
  'serve-pull': servePullCase,
  'serve-images': serveImagesCase,
};

export const CASE_NAMES = Object.keys(CASES);

/** Which services the chosen cases need. */
export function servicesFor(names: readonly string[]) {
  const any = (...wanted: string[]) => names.some((n) => wanted.includes(n));
  return {
    registry: any('pull', 'pull-disk', 'pull-unpack', 'mirror-pull', 'push', 'copy', 'serve-pull'),
    docker: any('pull-unpack', 'save', 'load', 'serve-pull', 'serve-images'),
    podman: any('pull-unpack'),
  };
}

export function makeCase(
  name: string,
  image: BenchImage,
  services: Services,
): BenchCase | SkippedCase {
  const make = CASES[name];
  if (!make) throw new Error(`unknown case ${JSON.stringify(name)}`);
  return make(image, services);
}
