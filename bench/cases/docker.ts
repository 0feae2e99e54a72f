/**
 * The daemon cases, against a private dockerd (overlay2) and podman when installed:
 * `pull-unpack` (`shale pull --unpack` into a fresh store vs `docker pull`), `save` (store →
 * docker-archive file) and `load` (the same docker-archive into a fresh store / an empty daemon).
 * Before each docker run every image is removed from the daemon (untimed), so no layer is reused.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import type { BenchImage } from '../lib/image.ts';
import { dockerCommand, type Services } from '../lib/services.ts';
import type { BenchCase, Peer, Side, SkippedCase } from '../lib/side.ts';
import { caseHead, freshStoreSide, noRegistry } from './common.ts';

type Docker = (args: string[]) => string[];

/** A docker peer, or the reason there is none. */
export function dockerPeer(
  services: Services,
  label: string,
  side: (docker: Docker) => Omit<Side, 'label'>,
): Peer {
  const { docker } = services;
  if (!docker) return { label, missing: services.missing.docker ?? 'no dockerd' };
  return {
    label: `${label} [dockerd ${docker.driver}]`,
    ...side((args) => dockerCommand(docker, args)),
  };
}

/** Removes every image from the private daemon (untimed), so the next run reuses no layer. */
export const emptyDaemon = (services: Services) =>
  void services.docker?.docker(['image', 'prune', '-a', '-f']);

/** Checks that a run wrote a non-empty `file`, then removes it. */
function wroteFile(file: string) {
  return (samples: unknown) => {
    const problem =
      samples && !(existsSync(file) && statSync(file).size > 0) ? `${file} not written` : undefined;
    rmSync(file, { force: true });
    return problem;
  };
}

export function pullUnpackCase(image: BenchImage, services: Services): BenchCase | SkippedCase {
  const ref = image.remoteRef;
  if (!ref) return noRegistry('pull-unpack', image, services);
  const store = path.join(image.work, 'pull-unpack-store');
  const { podman } = services;
  const podmanPeer: Peer = podman
    ? {
        label: 'podman pull REF [overlay]',
        prepare: () => void spawnSync(podman[0]!, [...podman.slice(1), 'rmi', '-a', '-f']),
        commands: () => [[...podman, 'pull', '-q', '--tls-verify=false', ref]],
      }
    : { label: 'podman pull REF', missing: services.missing.podman ?? 'podman not installed' };
  return {
    ...caseHead('pull-unpack', image, 'pull the image and unpack its layers into the store', 'gz', [
      services.registry!.storageDir,
    ]),
    shale: freshStoreSide('shale pull --unpack REF (fresh store)', image, store, [
      'pull',
      '-q',
      '--unpack',
      ref,
    ]),
    peers: [
      dockerPeer(services, 'docker pull REF (no image before)', (docker) => ({
        prepare: () => emptyDaemon(services),
        commands: () => [docker(['pull', '-q', ref])],
      })),
      podmanPeer,
    ],
    teardown: () => emptyDaemon(services),
  };
}

export function saveCase(image: BenchImage, services: Services): BenchCase {
  const out = path.join(image.work, 'saved.tar');
  return {
    ...caseHead('save', image, 'save the image from the store to a docker-archive file', 'tar', [
      image.store,
    ]),
    shale: {
      label: 'shale save -o FILE REF',
      commands: () => [image.shale('--root', image.store, 'save', '-o', out, image.localRef)],
      finish: wroteFile(out),
    },
    peers: [
      dockerPeer(services, 'docker save -o FILE REF', (docker) => ({
        commands: () => [docker(['save', '-o', out, image.localRef])],
        finish: wroteFile(out),
      })),
    ],
    setup: () => {
      emptyDaemon(services);
      services.docker?.docker(['load', '-q', '-i', image.archive]);
    },
    teardown: () => emptyDaemon(services),
  };
}

export function loadCase(image: BenchImage, services: Services): BenchCase {
  const store = path.join(image.work, 'load-store');
  return {
    ...caseHead(
      'load',
      image,
      'load a docker-archive (uncompressed layers) into an empty store',
      'tar',
      [image.archive],
    ),
    shale: freshStoreSide('shale load -i ARCHIVE (fresh store)', image, store, [
      'load',
      '-i',
      image.archive,
    ]),
    peers: [
      dockerPeer(services, 'docker load -i ARCHIVE (no image before)', (docker) => ({
        prepare: () => emptyDaemon(services),
        commands: () => [docker(['load', '-q', '-i', image.archive])],
      })),
    ],
    teardown: () => emptyDaemon(services),
  };
}
