/**
 * `copy` (issue 20): the image from the bench's registry into another, empty one (restarted untimed
 * before every run, so no side can skip a blob it copied before), under a fresh repository name:
 * `shale copy docker://… docker://…` (no blob staged; large blobs in resumable chunks, their sessions in
 * the store) vs `skopeo copy docker://… docker://…`; goal ≤ 0.8×.
 * A second peer is the floor of any client: bench/peers/curl-copy.sh streams every blob from one
 * registry into the other with curl, all at once and unverified, then puts the manifest.
 */
import { fileURLToPath } from 'node:url';
import type { BenchImage } from '../lib/image.ts';
import type { Services } from '../lib/services.ts';
import type { BenchCase, SkippedCase } from '../lib/side.ts';
import { caseHead, noRegistry, SKOPEO, skopeoPeer } from './common.ts';

const CURL_COPY = fileURLToPath(new URL('../peers/curl-copy.sh', import.meta.url));

export function copyCase(image: BenchImage, services: Services): BenchCase | SkippedCase {
  if (!image.remoteRef || !services.registry) return noRegistry('copy', image, services);
  const remote = image.remoteRef;
  const source = `docker://${remote}`;
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
      label: 'shale copy docker://REF docker://HOST/bench/copy-N (nothing staged)',
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
      {
        label: 'curl-copy.sh REF HOST/bench/copy-N (curl GET | curl PUT per blob, unverified)',
        prepare: emptyRegistry,
        commands: () => [['bash', CURL_COPY, remote, target('curl').slice('docker://'.length)]],
      },
    ],
  };
}
