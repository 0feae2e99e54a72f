/**
 * `pull` and `push` against the private Distribution registry, compared with skopeo.
 * pull: `shale pull` (no unpack) into a fresh store vs `skopeo copy docker://… oci:DIR`, on the
 * run's tmpfs (`pull`) and on disk (`pull-disk`).
 * push: `shale push` from a store vs `skopeo copy oci:… docker://…`, each run into an empty
 * registry (restarted untimed before every run, so no side can skip or mount a blob it pushed
 * before) under a fresh repository name.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { BenchImage } from '../lib/image.ts';
import type { Services } from '../lib/services.ts';
import type { BenchCase, SkippedCase } from '../lib/side.ts';
import { freshDir } from '../lib/workdir.ts';
import { caseHead, freshStoreSide, noRegistry, SKOPEO, skopeoPeer } from './common.ts';

export function pullCase(image: BenchImage, services: Services): BenchCase | SkippedCase {
  if (!image.remoteRef) return noRegistry('pull', image, services);
  return pullInto('pull', image, image.remoteRef, services, image.work);
}

/**
 * The same pull with both destinations in the OS temp directory (on disk here) instead of the
 * run's tmpfs: where stores live, and where making blobs durable costs, since shale and skopeo
 * both fsync every blob they write.
 */
export function pullToDiskCase(image: BenchImage, services: Services): BenchCase | SkippedCase {
  if (!image.remoteRef) return noRegistry('pull-disk', image, services);
  const dir = mkdtempSync(path.join(tmpdir(), 'shale-bench-disk-'));
  return {
    ...pullInto('pull-disk', image, image.remoteRef, services, dir),
    teardown: () => rmSync(dir, { recursive: true, force: true }),
  };
}

function pullInto(
  name: string,
  image: BenchImage,
  ref: string,
  services: Services,
  dir: string,
): BenchCase {
  const store = path.join(dir, 'pull-store');
  const layout = path.join(dir, 'pull-oci');
  const where = dir === image.work ? '' : ' on disk';
  return {
    ...caseHead(name, image, `pull the image from the registry${where} (no unpack)`, 'gz', [
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
