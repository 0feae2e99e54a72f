/**
 * `load-oci`: an oci-archive (the fixture's OCI layout tarred, gzip'd layers) into an empty
 * store: `shale load -i X.oci.tar` against `skopeo copy oci-archive:X.oci.tar oci:DIR:TAG` into
 * a fresh directory. skopeo extracts the archive into its --tmpdir first: that is in the work
 * directory, the file system both sides write to.
 */
import path from 'node:path';
import type { BenchImage } from '../lib/image.ts';
import type { BenchCase } from '../lib/side.ts';
import { freshDir } from '../lib/workdir.ts';
import { caseHead, freshStoreSide, SKOPEO, skopeoPeer } from './common.ts';

export function loadOciCase(image: BenchImage): BenchCase {
  const store = path.join(image.work, 'load-oci-store');
  const layout = path.join(image.work, 'load-oci-layout');
  const tmp = path.join(image.work, 'load-oci-skopeo-tmp');
  const [skopeo, ...copy] = SKOPEO;
  const repository = image.localRef.slice(0, -`:${image.tag}`.length); // bench/<name>
  return {
    ...caseHead(
      'load-oci',
      image,
      "load an oci-archive (gzip'd layers) into an empty store",
      'gz',
      [image.ociArchive],
    ),
    shale: freshStoreSide('shale load -i X.oci.tar --name REPO (fresh store)', image, store, [
      ...['load', '-i', image.ociArchive, '--name', repository],
    ]),
    peers: [
      skopeoPeer(`skopeo copy oci-archive:X.oci.tar oci:DIR:${image.tag} (fresh DIR)`, {
        prepare: () => {
          freshDir(layout, false);
          freshDir(tmp);
        },
        commands: () => [
          [
            skopeo!,
            '--tmpdir',
            tmp,
            ...copy,
            `oci-archive:${image.ociArchive}`,
            `oci:${layout}:${image.tag}`,
          ],
        ],
        finish: () => {
          freshDir(layout, false);
          freshDir(tmp, false);
        },
      }),
    ],
    notes: [
      "the archive is the fixture's OCI layout tarred (untimed, once); skopeo extracts it into " +
        'a --tmpdir in the work directory before copying.',
    ],
  };
}
