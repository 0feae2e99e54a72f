/**
 * What the cases share: a case's head (name, fixture, title, MB/s basis, inputs), shale's side
 * writing into a fresh store, the skopeo peer, and the case skipped for want of a registry.
 */
import { hasCommand } from '../lib/env.ts';
import type { BenchImage } from '../lib/image.ts';
import type { Services } from '../lib/services.ts';
import type { BenchCase, Peer, Side, SkippedCase } from '../lib/side.ts';
import { freshDir } from '../lib/workdir.ts';

type CaseHead = Pick<BenchCase, 'name' | 'fixture' | 'title' | 'basis' | 'basisBytes' | 'inputs'>;

/** A case's head: MB/s is counted on the image's uncompressed tars or its gzip'd blobs. */
export const caseHead = (
  name: string,
  image: BenchImage,
  title: string,
  basis: 'tar' | 'gz',
  inputs: string[],
): CaseHead => ({
  name,
  fixture: image.name,
  title,
  basis,
  basisBytes: basis === 'tar' ? image.tarBytes : image.gzBytes,
  inputs,
});

/** shale `--root STORE ARGS…` into an empty store: removed (untimed) before and after each run. */
export const freshStoreSide = (
  label: string,
  image: BenchImage,
  store: string,
  args: string[],
): Side => ({
  label,
  prepare: () => freshDir(store, false),
  commands: () => [image.shale('--root', store, ...args)],
  finish: () => freshDir(store, false),
});

export const SKOPEO = ['skopeo', '--insecure-policy', 'copy', '-q'];

export const skopeoPeer = (label: string, side: Omit<Side, 'label'>): Peer =>
  hasCommand('skopeo') ? { label, ...side } : { label, missing: 'skopeo not installed' };

/** The case as skipped when no registry runs here. */
export const noRegistry = (name: string, image: BenchImage, services: Services): SkippedCase => ({
  name,
  fixture: image.name,
  skipped: services.missing.registry ?? 'no registry',
});
