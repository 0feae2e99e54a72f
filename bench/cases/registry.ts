/**
 * `pull` and `push` against the private Distribution registry, compared with skopeo.
 * pull: `shale pull` (no unpack) into a fresh store vs `skopeo copy docker://… oci:DIR`.
 * push: `shale push` from a store vs `skopeo copy oci:… docker://…`, each run into an empty
 * registry (restarted untimed before every run, so no side can skip or mount a blob it pushed
 * before) under a fresh repository name.
 */
import path from 'node:path';
import { hasCommand } from '../lib/env.ts';
import type { BenchImage } from '../lib/image.ts';
import type { Services } from '../lib/services.ts';
import type { BenchCase, Peer, Side, SkippedCase } from '../lib/side.ts';
import { freshDir } from '../lib/workdir.ts';

const SKOPEO = ['skopeo', '--insecure-policy', 'copy', '-q'];

const skopeoPeer = (label: string, side: Omit<Side, 'label'>): Peer =>
  hasCommand('skopeo') ? { label, ...side } : { label, missing: 'skopeo not installed' };

/** The case as skipped when no registry runs here. */
export const noRegistry = (name: string, image: BenchImage, services: Services): SkippedCase => ({
  name,
  fixture: image.name,
  skipped: services.missing.registry ?? 'no registry',
});

export function pullCase(image: BenchImage, services: Services): BenchCase | SkippedCase {
  const ref = image.remoteRef;
  if (!ref) return noRegistry('pull', image, services);
  const store = path.join(image.work, 'pull-store');
  const layout = path.join(image.work, 'pull-oci');
  return {
    name: 'pull',
    fixture: image.name,
    title: 'pull the image from the registry (no unpack)',
    basis: 'gz',
    basisBytes: image.gzBytes,
    inputs: [services.registry!.storageDir],
    shale: {
      label: 'shale pull REF (fresh store)',
      prepare: () => freshDir(store, false),
      commands: () => [image.shale('--root', store, 'pull', '-q', ref)],
      finish: () => freshDir(store, false),
    },
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
    name: 'push',
    fixture: image.name,
    title: 'push the image to an empty registry, fresh repository name',
    basis: 'gz',
    basisBytes: image.gzBytes,
    inputs: [image.store, image.ociDir],
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
