/**
 * `pull` and `push` against the private Distribution registry, compared with skopeo.
 * pull: `shale pull` (no unpack) into a fresh store vs `skopeo copy docker://… oci:DIR`.
 * push: `shale push` from a store vs `skopeo copy oci:… docker://…`, each run into an empty
 * registry (restarted untimed before every run, so no side can skip or mount a blob it pushed
 * before) under a fresh repository name.
 */
import path from 'node:path';
import type { BenchImage } from '../lib/image.ts';
import type { Services } from '../lib/services.ts';
import type { BenchCase, SkippedCase } from '../lib/side.ts';
import { freshDir } from '../lib/workdir.ts';
import { caseHead, freshStoreSide, noRegistry, SKOPEO, skopeoPeer } from './common.ts';

export function pullCase(image: BenchImage, services: Services): BenchCase | SkippedCase {
  const ref = image.remoteRef;
  if (!ref) return noRegistry('pull', image, services);
  const store = path.join(image.work, 'pull-store');
  const layout = path.join(image.work, 'pull-oci');
  return {
    ...caseHead('pull', image, 'pull the image from the registry (no unpack)', 'gz', [
      services.registry!.storageDir,
    ]),
    shale: freshStoreSide('shale pull REF (fresh store)', image, store, ['pull', '-q', ref]),
    peers: [
      skopeoPeer(`skopeo copy docker://REF oci:DIR:${image.tag}`, {
        prepare: () => freshDir(layout, false),
        commands: () => [
          [...SKOPEO, '--src-tls-verify=false', `docker://${ref}`, `oci:${layout}:${image.tag}`],
        ],
        finish: () => freshDir(layout, false),
      }),
    ],
  };
}

export function pushCase(image: BenchImage, services: Services): BenchCase | SkippedCase {
  if (!services.registry) return noRegistry('push', image, services);
  let host = '';
  let run = 0;
  const target = (who: string) => `${host}/bench/push-${who}-${run}:${image.tag}`;
  const emptyRegistry = async () => {
    host = await services.freshPushRegistry();
    run++;
  };
  return {
    ...caseHead('push', image, 'push the image to an empty registry, fresh repository name', 'gz', [
      image.store,
      image.ociDir,
    ]),
    shale: {
      label: 'shale push REF HOST/bench/push-N',
      prepare: emptyRegistry,
      commands: () => [
        image.shale('--root', image.store, 'push', '-q', image.localRef, target('shale')),
      ],
    },
    peers: [
      skopeoPeer(`skopeo copy oci:DIR:${image.tag} docker://HOST/bench/push-N`, {
        prepare: emptyRegistry,
        commands: () => [
          [
            ...SKOPEO,
            '--dest-tls-verify=false',
            `oci:${image.ociDir}:${image.tag}`,
            `docker://${target('skopeo')}`,
          ],
        ],
      }),
    ],
  };
}
