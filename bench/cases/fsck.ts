/**
 * `fsck` of a store holding the image, against the work it cannot do less than: `--quick` hashes
 * every blob (peer: `sha256sum` of the store's blobs), a full check also decompresses every layer
 * for its DiffID (peer: `shale diffid` of each layer blob, one process a layer). Goals: ≤ 1.1×.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { BenchImage } from '../lib/image.ts';
import type { Sample } from '../lib/measure.ts';
import type { BenchCase } from '../lib/side.ts';
import { caseHead } from './common.ts';

/** fsck must find the store clean. */
const clean = (samples: Sample[] | undefined) =>
  samples && !/blobs: no problems$/m.test(samples[0]?.stdout ?? '')
    ? `fsck found problems: ${samples[0]?.stdout.slice(0, 200)}`
    : undefined;

function storeBlobs(image: BenchImage): string[] {
  const dir = path.join(image.store, 'blobs', 'sha256');
  return readdirSync(dir)
    .sort()
    .map((name) => path.join(dir, name));
}

export function fsckQuickCase(image: BenchImage): BenchCase {
  return {
    ...caseHead('fsck-quick', image, 'fsck --quick against sha256sum of the blobs', 'gz', [
      image.store,
    ]),
    shale: {
      label: 'shale fsck --quick',
      commands: () => [image.shale('--root', image.store, 'fsck', '--quick')],
      finish: clean,
    },
    peers: [
      { label: 'sha256sum blobs/sha256/*', commands: () => [['sha256sum', ...storeBlobs(image)]] },
    ],
    notes: ['the goal is ≤ 1.1× sha256sum of the same blobs.'],
  };
}

export function fsckCase(image: BenchImage): BenchCase {
  return {
    ...caseHead('fsck', image, 'full fsck against shale diffid of each layer', 'tar', [
      image.store,
    ]),
    shale: {
      label: 'shale fsck',
      commands: () => [image.shale('--root', image.store, 'fsck')],
      finish: clean,
    },
    peers: [
      {
        label: 'shale diffid layerN.tar.gz',
        commands: () => image.blobs.map((b) => image.shale('diffid', b)),
      },
    ],
    notes: ['the goal is ≤ 1.1× shale diffid of the same layers (one process a layer).'],
  };
}
