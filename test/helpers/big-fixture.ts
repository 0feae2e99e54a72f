/**
 * The `big` fixture image for resumable transfers: one layer holding one file of 64 MiB of
 * incompressible bytes, so its gzip'd blob is as big as the file. Built quietly into `dir`
 * (its OCI layout is `dir/oci`, the image tagged `big`).
 */
import { ensureFixture, type Fixture } from '../../support/fixtures/image.ts';
import { DEFAULTS } from '../../support/fixtures/presets.ts';

export function buildBigFixture(dir: string): Promise<Fixture> {
  return ensureFixture({
    dir,
    name: 'big',
    params: { ...DEFAULTS, layers: 1, files: 1, bytes: 64 << 20, randomFraction: 1 },
    log: () => undefined,
  });
}
