/**
 * `migrate`: a Docker 1.x graph holding the fixture image (an aufs graph, as most 1.x hosts had,
 * built untimed from the fixture's layer tars with tar-split metadata from our packer: each layer
 * reassembled from it) into an empty store, against `shale load` of the image's docker-archive
 * into an empty store: the same layer bytes written from a file. The ratio is the figure (goal
 * ≤ 1.2). Each migration is checked: no layer rebuilt, the image's DiffIDs the fixture's.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { buildLegacyGraph, chainOfTars } from '../../support/legacy-graph.ts';
import type { BenchImage } from '../lib/image.ts';
import type { Sample } from '../lib/measure.ts';
import type { BenchCase } from '../lib/side.ts';
import { freshDir } from '../lib/workdir.ts';
import { caseHead, freshStoreSide } from './common.ts';

const REPOSITORY = 'bench/migrated';

export function migrateCase(image: BenchImage): BenchCase {
  const graph = path.join(image.work, 'migrate-graph');
  const store = path.join(image.work, 'migrate-store');
  const loadStore = path.join(image.work, 'migrate-load-store');
  const chain = chainOfTars(image.tars, image.name);
  const diffIds = image.fixture.layers.map((l) => l.diffId);

  /** No warning (every layer reassembled) and the fixture's DiffIDs; then the store goes. */
  const check = (samples: Sample[] | undefined) => {
    let problem: string | undefined;
    if (samples) {
      const warned = samples[0]!.stderr.trim();
      const [command, ...args] = image.shale('--root', store, 'inspect', '--json', REPOSITORY);
      const r = spawnSync(command!, args, { encoding: 'utf8' });
      const layers =
        r.status === 0 && (JSON.parse(r.stdout) as [{ RootFS: { Layers: string[] } }])[0];
      if (warned !== '') problem = `migrate warned: ${warned.slice(0, 160)}`;
      else if (!layers) problem = `inspect failed: ${r.stderr.trim()}`;
      else if (JSON.stringify(layers.RootFS.Layers) !== JSON.stringify(diffIds))
        problem = `DiffIDs ${layers.RootFS.Layers.join(' ')} are not the fixture's`;
    }
    freshDir(store, false);
    return problem;
  };

  return {
    ...caseHead(
      'migrate',
      image,
      'migrate a Docker 1.x aufs graph holding the image into an empty store',
      'tar',
      [graph, image.archive],
    ),
    shale: {
      label: 'shale migrate GRAPH (aufs, tar-data; fresh store)',
      prepare: () => freshDir(store, false),
      commands: () => [image.shale('--root', store, 'migrate', graph)],
      finish: check,
    },
    peers: [
      freshStoreSide('shale load -i ARCHIVE (fresh store)', image, loadStore, [
        'load',
        '-i',
        image.archive,
      ]),
    ],
    setup: async () => {
      freshDir(graph, false);
      await buildLegacyGraph(graph, 'aufs', chain, {
        tags: { [REPOSITORY]: { latest: chain.at(-1)!.id } },
      });
    },
    teardown: () => freshDir(graph, false),
    notes: [
      'the peer is shale load of the docker-archive: the ratio is migrate / load (goal ≤ 1.2); ' +
        "the graph (aufs diff directories, tar-data by our packer) is built untimed from the fixture's tars.",
    ],
  };
}
