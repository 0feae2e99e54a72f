/**
 * `unpack`: the image's root filesystem into a fresh directory: `shale unpack` from its store
 * against `umoci unpack` from the OCI layout and GNU `tar -xzf` of each layer in order. Every
 * side decompresses gzip and must produce the same number of entries.
 */
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { hasCommand } from '../lib/env.ts';
import type { BenchImage } from '../lib/image.ts';
import type { BenchCase, Peer } from '../lib/side.ts';
import { countEntries, freshDir } from '../lib/workdir.ts';

export function unpackCase(image: BenchImage): BenchCase {
  const out = path.join(image.work, 'rootfs');
  let expected: number | undefined;
  /** Checks the tree at `root` (entry count equal on every side), then removes `out`. */
  const checkAndRemove = (root: string) => (samples: unknown) => {
    let problem: string | undefined;
    if (samples) {
      const n = existsSync(root) ? countEntries(root) : 0;
      expected ??= n;
      if (n !== expected) problem = `${n} entries where another side extracted ${expected}`;
    }
    rmSync(out, { recursive: true, force: true });
    return problem;
  };
  const umoci: Peer = hasCommand('umoci')
    ? {
        label: `umoci unpack --image oci:${image.tag} BUNDLE`,
        prepare: () => freshDir(out, false), // umoci wants the bundle absent
        commands: () => [['umoci', 'unpack', '--image', `${image.ociDir}:${image.tag}`, out]],
        finish: checkAndRemove(path.join(out, 'rootfs')),
      }
    : { label: 'umoci unpack', missing: 'umoci not installed' };
  return {
    name: 'unpack',
    fixture: image.name,
    title: "unpack the image's rootfs into a fresh directory",
    basis: 'tar',
    basisBytes: image.tarBytes,
    inputs: [image.store, image.ociDir],
    shale: {
      label: 'shale unpack REF DIR',
      prepare: () => freshDir(out),
      commands: () => [image.shale('--root', image.store, 'unpack', image.localRef, out)],
      finish: checkAndRemove(out),
    },
    peers: [
      umoci,
      {
        label: `tar -xzf layer1..${image.blobs.length}.tar.gz (one sh loop)`,
        prepare: () => freshDir(out),
        commands: () => [
          [
            'sh',
            '-c',
            'for l in "$@"; do tar -C "$0" -xzf "$l" || exit 1; done',
            out,
            ...image.blobs,
          ],
        ],
        finish: checkAndRemove(out),
      },
    ],
    notes: [
      'umoci also writes config.json and an mtree manifest (hashing every file); GNU tar ignores ' +
        'whiteouts (the fixture has none).',
    ],
  };
}
