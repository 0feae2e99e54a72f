/**
 * `mirror-pull` (issue 20): the second pull of the image through a pull-through cache, against a
 * pull from the origin; goal ≤ 1.0×. The cache is a second Distribution registry proxying the
 * bench's registry (started untimed in setup, warmed by one `shale pull` through it, so it holds
 * every blob), named as the origin's mirror in a registries.conf. Each run goes into a fresh
 * store; the peer gets an empty registries.conf, so no user config can send it to a mirror.
 * Checked after each run, from the registries' logs: the image ID is the fixture's config digest,
 * and every blob came from the endpoint the side meant (the mirror run: the cache served each
 * blob and the origin served none; the direct run: the origin served each).
 */
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runCommand } from '../../support/fixtures/image.ts';
import { blobGets, logMark } from '../../support/registry-log.ts';
import { startRegistry, storedBlobFile, type TestRegistry } from '../../support/registry.ts';
import type { BenchImage } from '../lib/image.ts';
import type { Sample } from '../lib/measure.ts';
import type { Services } from '../lib/services.ts';
import type { BenchCase, Side, SkippedCase } from '../lib/side.ts';
import { freshDir } from '../lib/workdir.ts';
import { caseHead, noRegistry } from './common.ts';

/** The image's blobs: its config and its layers. */
const blobsOf = (image: BenchImage) => [
  image.fixture.oci!.config,
  ...image.fixture.layers.map((l) => l.blobDigest!),
];

/**
 * Distribution's proxy stores a blob it forwarded by fetching it again in the background; waits
 * (60 s at most) until the cache holds every blob, so no timed run makes it go to the origin.
 */
async function cached(cache: TestRegistry, blobs: string[]): Promise<void> {
  for (let tries = 0; tries < 600; tries++) {
    if (blobs.every((digest) => existsSync(storedBlobFile(cache, digest)))) return;
    await sleep(100);
  }
  throw new Error(`the pull-through cache ${cache.host} did not store every blob within 60 s`);
}

/** A side pulling REF into a fresh store with `conf` as its registries.conf, its blobs checked. */
function pullSide(
  label: string,
  image: BenchImage,
  store: string,
  conf: string,
  servedFrom: () => { served: TestRegistry; spared?: TestRegistry },
): Side {
  const blobs = blobsOf(image);
  const marks = new Map<TestRegistry, number>();
  const check = (samples: Sample[]): string | undefined => {
    const id = samples[0]!.stdout.trim();
    if (id !== image.fixture.oci!.config)
      return `image ID ${id} is not the origin's ${image.fixture.oci!.config}`;
    const { served, spared } = servedFrom();
    const fromServed = blobGets(served.logFile, marks.get(served)!);
    const missing = blobs.filter((digest) => !fromServed.has(digest));
    if (missing.length > 0) return `${served.host} did not serve ${missing.join(' ')}`;
    const fromSpared = spared ? [...blobGets(spared.logFile, marks.get(spared)!).keys()] : [];
    if (fromSpared.length > 0) return `${spared!.host} served ${fromSpared.join(' ')}`;
  };
  return {
    label,
    prepare: () => {
      freshDir(store, false);
      const { served, spared } = servedFrom();
      for (const registry of [served, spared]) {
        if (registry) marks.set(registry, logMark(registry.logFile));
      }
    },
    commands: () => [
      image.shale('--registries-conf', conf, '--root', store, 'pull', '-q', image.remoteRef!),
    ],
    finish: (samples) => {
      const problem = samples && check(samples);
      freshDir(store, false);
      return problem;
    },
  };
}

export function mirrorPullCase(image: BenchImage, services: Services): BenchCase | SkippedCase {
  const origin = services.registry;
  if (!image.remoteRef || !origin) return noRegistry('mirror-pull', image, services);
  const dir = path.join(image.work, 'mirror');
  const mirrorConf = path.join(dir, 'registries.conf');
  const noConf = path.join(dir, 'no-mirrors.conf');
  const inputs = [origin.storageDir];
  let cache: TestRegistry | undefined;
  const viaCache = () => ({ served: cache!, spared: origin });
  const direct = () => ({ served: origin });
  return {
    ...caseHead(
      'mirror-pull',
      image,
      'pull the image through a warm pull-through cache (no unpack)',
      'gz',
      inputs,
    ),
    shale: pullSide(
      'shale --registries-conf CONF pull REF (warm cache; fresh store)',
      image,
      path.join(dir, 'store'),
      mirrorConf,
      viaCache,
    ),
    peers: [
      pullSide(
        'shale pull REF from the origin (fresh store)',
        image,
        path.join(dir, 'direct-store'),
        noConf,
        direct,
      ),
    ],
    setup: async () => {
      freshDir(dir);
      cache = await startRegistry({ proxyOf: `http://${origin.host}` });
      inputs.push(cache.storageDir);
      const mirror = `[[registry.mirror]]\nlocation = "${cache.host}"\n`;
      writeFileSync(mirrorConf, `[[registry]]\nprefix = "${origin.host}"\n${mirror}`);
      writeFileSync(noConf, '');
      const warm = image.shale('--registries-conf', mirrorConf, '--root', path.join(dir, 'warm'));
      await runCommand(warm[0]!, [...warm.slice(1), 'pull', '-q', image.remoteRef!]);
      freshDir(path.join(dir, 'warm'), false);
      await cached(cache, blobsOf(image));
    },
    teardown: async () => {
      await cache?.stop();
      cache = undefined;
      freshDir(dir, false);
    },
    notes: [
      'the ratio is a pull through a warm pull-through cache (a second Distribution registry ' +
        'proxying the origin, named in a registries.conf) / the same pull from the origin: ' +
        "the mirror's cost (issue 20's goal ≤ 1.0). The tag is still resolved through the " +
        'cache, which asks the origin for it; every blob is checked (registry logs) to come ' +
        'from the cache and none from the origin.',
    ],
  };
}
