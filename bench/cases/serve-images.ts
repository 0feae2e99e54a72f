/**
 * `serve-images`: `docker images` listing 1,000 small images under 3,000 tags through `shale
 * serve`, against the same `docker images` (the same docker CLI) on the private dockerd holding
 * the same images; goal ≤ 100 ms a call on shale's side. The images are generated
 * (bench/lib/many-images.ts) as one docker-archive, loaded (untimed, once) into a store and into
 * dockerd, and the server runs for the whole case. After each run (untimed) the listing is checked
 * to name every tag, and the server's own answer to `GET /images/json` is timed by direct requests:
 * the note sets it apart from the client's share (start-up, parsing and printing 3,000 rows). The
 * data is the same on every fixture: the case runs on `large` only.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { runCommand } from '../../support/fixtures/image.ts';
import type { BenchImage } from '../lib/image.ts';
import { allManyImageTags, writeManyImages } from '../lib/many-images.ts';
import { SERVED_DOCKER, startShaleServe, timedGet, type ShaleServer } from '../lib/served.ts';
import { dockerCommand, type Services } from '../lib/services.ts';
import type { BenchCase, Side, SkippedCase } from '../lib/side.ts';
import { median } from '../lib/stats.ts';
import { freshDir } from '../lib/workdir.ts';
import { dockerPeer, emptyDaemon } from './docker.ts';

const IMAGES = 1000;
const TAGS_EACH = 3;
/** Direct `GET /images/json` requests after each run. */
const REQUESTS = 5;

type Docker = (args: string[]) => string[];

/** Why `docker images` through `docker` does not list exactly `tags`, if it does not. */
function misListed(docker: Docker, tags: string[]): string | undefined {
  const [command, ...args] = docker(['images', '--format', '{{.Repository}}:{{.Tag}}']);
  const r = spawnSync(command!, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) return `docker images --format: exit ${r.status}: ${r.stderr.trim()}`;
  const listed = r.stdout.split('\n').filter(Boolean).sort();
  if (listed.length !== tags.length) return `${listed.length} rows listed, not ${tags.length}`;
  if (listed.some((tag, i) => tag !== tags[i])) return 'the listed tags are not the loaded ones';
}

/**
 * One side: `docker images`, then (untimed) the listing checked and `REQUESTS` direct
 * `GET /images/json` to the server on `socket`, their times added to `answerMs`.
 */
function listingSide(
  docker: Docker,
  socket: string,
  tags: string[],
  answerMs: number[],
  onAnswers: () => void,
): Omit<Side, 'label'> {
  return {
    commands: () => [docker(['images'])],
    finish: async (samples) => {
      if (!samples) return;
      const problem = misListed(docker, tags);
      if (problem) return problem;
      for (let i = 0; i < REQUESTS; i++) {
        const answer = await timedGet(socket, '/images/json');
        if (answer.status !== 200) return `GET /images/json: ${answer.status} ${answer.body}`;
        const images = (JSON.parse(answer.body) as unknown[]).length;
        if (images !== IMAGES) return `GET /images/json: ${images} images, not ${IMAGES}`;
        answerMs.push(answer.ms);
      }
      onAnswers();
    },
  };
}

const seconds = (t0: number) => ((performance.now() - t0) / 1000).toFixed(1);

export function serveImagesCase(image: BenchImage, services: Services): BenchCase | SkippedCase {
  const skipped = (why: string) => ({ name: 'serve-images', fixture: image.name, skipped: why });
  if (!image.name.startsWith('large')) return skipped('runs on large only (its own images)');
  const client = SERVED_DOCKER;
  if (!client) return skipped('no docker CLI installed');
  const dir = path.join(image.work, 'serve-images');
  const archive = path.join(dir, 'many-images.tar');
  const store = path.join(dir, 'store');
  const socket = path.join(dir, 'docker.sock');
  const served: Docker = (args) =>
    dockerCommand(
      { client, env: { DOCKER_HOST: `unix://${socket}`, DOCKER_CONFIG: path.join(dir, 'config') } },
      args,
    );
  const tags = allManyImageTags(IMAGES, TAGS_EACH).sort();
  const answerMs = { shale: [] as number[], dockerd: [] as number[] };
  const count = `${IMAGES.toLocaleString('en')} images, ${tags.length.toLocaleString('en')} tags`;
  // [setup, the server's answer times]: the harness reads them after the runs
  const notes = ['', ''];
  const noteAnswers = () => {
    const ms = (times: number[]) =>
      times.length ? `${median(times).toFixed(1)} ms` : 'not measured';
    notes[1] =
      `each server's own answer to GET /images/json (direct requests on its socket, no client; ` +
      `median of ${answerMs.shale.length} and ${answerMs.dockerd.length}): ` +
      `shale serve ${ms(answerMs.shale)}, dockerd ${ms(answerMs.dockerd)}; ` +
      `the rest of a \`docker images\` call is the docker CLI (start-up, parsing, printing ${tags.length.toLocaleString('en')} rows), whose RSS is the peak RSS column.`;
  };
  let server: ShaleServer | undefined;

  const setup = async () => {
    mkdirSync(dir, { recursive: true });
    let t0 = performance.now();
    await writeManyImages(archive, IMAGES, TAGS_EACH);
    const generated = seconds(t0);
    c.basisBytes = statSync(archive).size;
    freshDir(store, false);
    emptyDaemon(services);
    const { docker } = services;
    // untimed, both at once: shale's store and dockerd load the same archive
    const took: Record<string, string> = {};
    t0 = performance.now();
    const load = async (name: string, argv: string[], env?: NodeJS.ProcessEnv) => {
      await runCommand(argv[0]!, argv.slice(1), { env });
      took[name] = seconds(t0);
    };
    await Promise.all([
      load('shale load', image.shale('--root', store, 'load', '-q', '-i', archive)),
      docker && load('docker load', [docker.client, 'load', '-q', '-i', archive], docker.env),
    ]);
    server = await startShaleServe(image.shale('--root', store), socket);
    const warm = await timedGet(socket, '/images/json');
    if (warm.status !== 200) throw new Error(`GET /images/json: ${warm.status} ${warm.body}`);
    notes[0] =
      `${count}, generated (${generated} s) as one docker-archive of ${(c.basisBytes / 1e6).toFixed(1)} MB, ` +
      `loaded untimed and at once: ${Object.entries(took)
        .map(([name, s]) => `${name} ${s} s`)
        .join(', ')}; docker CLI ${client} on both sides.`;
    noteAnswers();
  };

  const c: BenchCase = {
    name: 'serve-images',
    fixture: image.name,
    title: `docker images of ${count} through shale serve (generated images, the same on every fixture)`,
    basis: 'tar',
    basisBytes: 0, // the archive's size, once written
    inputs: [],
    shale: {
      label: `docker images through shale serve (${count})`,
      ...listingSide(served, socket, tags, answerMs.shale, noteAnswers),
    },
    peers: [
      dockerPeer(services, `docker images (the same ${count})`, () => {
        const env = services.docker!.env;
        return listingSide(
          (args) => dockerCommand({ client, env }, args),
          env.DOCKER_HOST!.replace(/^unix:\/\//, ''),
          tags,
          answerMs.dockerd,
          noteAnswers,
        );
      }),
    ],
    notes,
    setup,
    teardown: async () => {
      await server?.stop();
      server = undefined;
      emptyDaemon(services);
    },
  };
  return c;
}
