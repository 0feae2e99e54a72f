/**
 * `serve-pull`: `docker pull REF` through `shale serve` (the 28.x docker CLI on its socket) into a
 * fresh store, against `shale pull REF` into a fresh store: the server's overhead (goal ≤ 1.05×).
 * Before each served run the server is restarted (untimed) on an empty store, so no layer is
 * reused; the docker client's own start-up is in its time, as shale's is in the peer's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { answersPing } from '../../support/serve-ping.ts';
import type { BenchImage } from '../lib/image.ts';
import type { Services } from '../lib/services.ts';
import type { BenchCase, SkippedCase } from '../lib/side.ts';
import { freshDir } from '../lib/workdir.ts';
import { caseHead, freshStoreSide, noRegistry } from './common.ts';

export function servePullCase(image: BenchImage, services: Services): BenchCase | SkippedCase {
  if (!image.remoteRef || !existsSync('/usr/local/bin/docker'))
    return noRegistry('serve-pull', image, services);
  const ref = image.remoteRef;
  const dir = path.join(image.work, 'serve');
  const store = path.join(dir, 'store');
  const socket = path.join(dir, 'docker.sock');
  const config = path.join(dir, 'docker-config');
  let server: ChildProcess | undefined;
  const stop = async () => {
    if (!server) return;
    const exited = new Promise((resolve) => server!.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
    server = undefined;
  };
  const start = async () => {
    await stop();
    freshDir(store, false);
    mkdirSync(config, { recursive: true });
    const [command, ...args] = image.shale('--root', store, 'serve', '--host', `unix://${socket}`);
    server = spawn(command!, args, { stdio: 'ignore' });
    for (let tries = 0; !(await answersPing(socket)); tries++) {
      if (tries > 200) throw new Error('shale serve did not answer within 10 s');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  return {
    ...caseHead('serve-pull', image, 'pull the image through shale serve (no unpack)', 'gz', [
      services.registry!.storageDir,
    ]),
    shale: {
      label: 'docker pull REF through shale serve (fresh store)',
      prepare: start,
      commands: () => [
        [
          'env',
          `DOCKER_HOST=unix://${socket}`,
          `DOCKER_CONFIG=${config}`,
          '/usr/local/bin/docker',
          'pull',
          '-q',
          ref,
        ],
      ],
    },
    peers: [
      freshStoreSide('shale pull REF (fresh store)', image, path.join(dir, 'pull-store'), [
        'pull',
        '-q',
        ref,
      ]),
    ],
    teardown: stop,
  };
}
