/** The `small` fixture image (support/fixtures), built quietly into `dir` (its OCI layout is `dir/oci`). */
import { ensureFixture } from '../../support/fixtures/image.ts';
import { DEFAULTS, PRESETS } from '../../support/fixtures/presets.ts';

export async function buildSmallFixture(dir: string): Promise<void> {
  await ensureFixture({
    dir,
    name: 'small',
    params: { ...DEFAULTS, ...PRESETS.small },
    log: () => undefined,
  });
}
