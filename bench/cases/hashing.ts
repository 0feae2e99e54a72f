/**
 * `tarsum` and `diffid`: one process per layer on both sides, against `sha256sum` (for the
 * DiffID, of the gunzipped blob: `gzip -dc | sha256sum`). Every output is checked.
 */
import type { BenchImage } from '../lib/image.ts';
import type { Sample } from '../lib/measure.ts';
import type { BenchCase } from '../lib/side.ts';

const hexOf = (digest: string) => digest.replace(/^sha256:/, '');

/** Each process must print its layer's DiffID. */
function printsDiffIds(image: BenchImage) {
  const want = image.fixture.layers.map((l) => hexOf(l.diffId));
  return (samples: Sample[] | undefined) =>
    samples?.find((s, i) => !s.stdout.includes(want[i]!)) ? 'wrong digest printed' : undefined;
}

export function tarsumCase(image: BenchImage): BenchCase {
  return {
    name: 'tarsum',
    fixture: image.name,
    title: 'TarSum v1 of each layer tar vs its sha256',
    basis: 'tar',
    basisBytes: image.tarBytes,
    inputs: image.tars,
    shale: {
      label: 'shale tarsum layerN.tar',
      commands: () => image.tars.map((t) => image.shale('tarsum', t)),
      finish: (samples) =>
        samples?.some((s) => !/^tarsum\.v1\+sha256:[0-9a-f]{64}$/.test(s.stdout.trim()))
          ? 'not a tarsum.v1+sha256 line'
          : undefined,
    },
    peers: [
      {
        label: 'sha256sum layerN.tar',
        commands: () => image.tars.map((t) => ['sha256sum', t]),
        finish: printsDiffIds(image),
      },
    ],
  };
}

export function diffidCase(image: BenchImage): BenchCase {
  return {
    name: 'diffid',
    fixture: image.name,
    title: 'DiffID (sha256 of the gunzipped layer) of each blob',
    basis: 'tar',
    basisBytes: image.tarBytes,
    inputs: image.blobs,
    shale: {
      label: 'shale diffid layerN.tar.gz',
      commands: () => image.blobs.map((b) => image.shale('diffid', b)),
      finish: printsDiffIds(image),
    },
    peers: [
      {
        label: 'gzip -dc layerN.tar.gz | sha256sum',
        commands: () =>
          image.blobs.map((b) => [
            'bash',
            '-o',
            'pipefail',
            '-c',
            'gzip -dc -- "$1" | sha256sum',
            'bash',
            b,
          ]),
        finish: printsDiffIds(image),
      },
    ],
  };
}
