/**
 * One fixture made ready for the cases (untimed, once per run): loaded into a private shale store,
 * pushed to the source registry by `skopeo copy oci:… docker://…`, written as a docker-archive
 * (the input of the `load` case, shale and docker alike) and as an oci-archive (`load-oci`'s:
 * the OCI layout tarred by GNU tar, blobs as they are).
 */
import { mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { runCommand, type ImageFixture } from '../../support/fixtures/image.ts';
import { hasCommand } from './env.ts';
import type { Services } from './services.ts';

export interface BenchImage {
  fixture: ImageFixture;
  /** The fixture's name (`large`, `many-small`, `system`, …) and the image's tag in its OCI layout. */
  name: string;
  tag: string;
  ociDir: string;
  /** The image's name in shale's store and in docker's: `bench/<name, lowercase>:<tag>`. */
  localRef: string;
  /** `127.0.0.1:PORT/<localRef>` when the registry runs. */
  remoteRef?: string;
  /** This image's scratch directory (stores, outputs). */
  work: string;
  /** A shale store holding the image. */
  store: string;
  /** docker-archive of the image (uncompressed layers), unless asked not to write it. */
  archive: string;
  /** oci-archive of the image (`X.oci.tar`: the OCI layout tarred), unless asked not to write it. */
  ociArchive: string;
  tars: string[];
  blobs: string[];
  tarBytes: number;
  gzBytes: number;
  /** `node dist/cli/shale.js ARGS…` */
  shale(...args: string[]): string[];
}

export interface ImageTools {
  node: string;
  cli: string;
  services: Services;
  log: (m: string) => void;
  /** Also write the docker-archive (default true). */
  archive?: boolean;
  /** Also write the oci-archive (default false). */
  ociArchive?: boolean;
}

export async function prepareImage(
  fixture: ImageFixture,
  work: string,
  {
    node,
    cli,
    services,
    log,
    archive: wantArchive = true,
    ociArchive: wantOciArchive = false,
  }: ImageTools,
): Promise<BenchImage> {
  const name = fixture.name;
  const tag = fixture.oci?.tag ?? name;
  const ociDir = fixture.abs('oci');
  const dir = path.join(work, name);
  mkdirSync(dir, { recursive: true });
  const shale = (...args: string[]) => [node, cli, ...args];
  const run = async (argv: string[]) => void (await runCommand(argv[0]!, argv.slice(1)));
  const repository = `bench/${name.toLowerCase()}`; // names with overrides hold capitals (128M)
  const localRef = `${repository}:${tag}`;
  const store = path.join(dir, 'store');
  const archive = path.join(dir, 'image.tar');
  const ociArchive = path.join(dir, 'image.oci.tar');
  const skopeo = ['skopeo', '--insecure-policy', 'copy', '-q'];
  const haveSkopeo = hasCommand('skopeo');

  log(
    `${name}: loading the image into a shale store and the registry${wantArchive ? ', a docker-archive' : ''}${wantOciArchive ? ', an oci-archive' : ''} (untimed)`,
  );
  await run(shale('--root', store, 'load', '-i', ociDir, '--name', repository));
  const host = services.registry?.host;
  const remoteRef = host ? `${host}/${localRef}` : undefined;
  if (remoteRef) {
    await run(
      haveSkopeo
        ? [...skopeo, '--dest-tls-verify=false', `oci:${ociDir}:${tag}`, `docker://${remoteRef}`]
        : shale('--root', store, 'push', '-q', localRef, remoteRef),
    );
  }
  if (wantArchive) {
    await run(
      haveSkopeo
        ? [...skopeo, `oci:${ociDir}:${tag}`, `docker-archive:${archive}:${localRef}`]
        : shale('--root', store, 'save', '-o', archive, localRef),
    );
  }
  if (wantOciArchive) {
    const entries = readdirSync(ociDir).sort();
    await run([
      'tar',
      '--format=posix',
      '--sort=name',
      '-cf',
      ociArchive,
      '-C',
      ociDir,
      ...entries,
    ]);
  }
  return {
    fixture,
    name,
    tag,
    ociDir,
    localRef,
    remoteRef,
    work: dir,
    store,
    archive,
    ociArchive,
    tars: fixture.layers.map((l) => fixture.abs(l.tar)),
    blobs: fixture.layers.map((l) => fixture.abs(l.blob!)),
    tarBytes: fixture.layers.reduce((s, l) => s + l.tarBytes, 0),
    gzBytes: fixture.layers.reduce((s, l) => s + (l.blobBytes ?? 0), 0),
    shale,
  };
}
