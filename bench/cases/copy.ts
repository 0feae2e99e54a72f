/**
 * `copy` (issue 20): the image from the bench's registry into another, empty one (restarted untimed
 * before every run, so no side can skip a blob it copied before), under a fresh repository name:
 * `shale copy docker://… docker://…` (no store) vs `skopeo copy docker://… docker://…`; goal ≤ 0.8×.
 */
import type { BenchImage } from '../lib/image.ts';
import type { Services } from '../lib/services.ts';
import type { BenchCase, SkippedCase } from '../lib/side.ts';
import { caseHead, noRegistry, SKOPEO, skopeoPeer } from './common.ts';

export function copyCase(image: BenchImage, services: Services): BenchCase | SkippedCase {
  if (!image.remoteRef || !services.registry) return noRegistry('copy', image, services);
  const source = `docker://${image.remoteRef}`;
  let host = '';
  let run = 0;
  const target = (who: string) => `docker://${host}/bench/copy-${who}-${run}:${image.tag}`;
  const emptyRegistry = async () => {
    host = await services.freshPushRegistry();
    run++;
  };
  return {
    ...caseHead('copy', image, 'copy the image registry → empty registry', 'gz', [
      services.registry.storageDir,
    ]),
    shale: {
      label: 'shale copy docker://REF docker://HOST/bench/copy-N (no store)',
      prepare: emptyRegistry,
      commands: () => [image.shale('copy', '-q', source, target('shale'))],
    },
    peers: [
      skopeoPeer('skopeo copy docker://REF docker://HOST/bench/copy-N', {
        prepare: emptyRegistry,
        commands: () => [
          [
            ...SKOPEO,
            '--src-tls-verify=false',
            '--dest-tls-verify=false',
            source,
            target('skopeo'),
          ],
        ],
      }),
    ],
  };
}
