/**
 * `serve-pull`: `docker pull REF` through `shale serve` (the 28.x docker CLI on its socket) into a
 * fresh store, against `shale pull REF` into a fresh store: the server's overhead (goal ≤ 1.05×);
 * and against `docker pull REF` on the private dockerd, which also extracts the layers (shale
 * stores them as blobs, as containerd's content store does). Before each served run the server
 * is restarted (untimed) on an empty store, so no layer is reused; the docker client's own
 * start-up is in its time, as shale's is in the peers'. The server's memory is read from /proc:
 * resident once started (idle), and its peak after each pull; the note gives both.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { BenchImage } from '../lib/image.ts';
import { SERVED_DOCKER, startShaleServe, type ShaleServer } from '../lib/served.ts';
import type { Services } from '../lib/services.ts';
import type { BenchCase, SkippedCase } from '../lib/side.ts';
import { median } from '../lib/stats.ts';
import { freshDir } from '../lib/workdir.ts';
import { caseHead, freshStoreSide, noRegistry } from './common.ts';
import { dockerPeer, emptyDaemon } from './docker.ts';

/** A figure of /proc/PID/status in MiB (`VmRSS`: resident now, `VmHWM`: resident at most). */
function memoryMiB(pid: number | undefined, field: 'VmRSS' | 'VmHWM'): number | undefined {
  if (pid === undefined) return undefined;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1];
  return kb === undefined ? undefined : Number(kb) / 1024;
}

export function servePullCase(image: BenchImage, services: Services): BenchCase | SkippedCase {
  const docker = SERVED_DOCKER;
  if (!image.remoteRef || !docker) return noRegistry('serve-pull', image, services);
  const ref = image.remoteRef;
  const dir = path.join(image.work, 'serve');
  const store = path.join(dir, 'store');
  const socket = path.join(dir, 'docker.sock');
  const config = path.join(dir, 'docker-config');
  let server: ShaleServer | undefined;
  const stop = async () => {
    await server?.stop();
    server = undefined;
  };
  const start = async () => {
    await stop();
    freshDir(store, false);
    mkdirSync(config, { recursive: true });
    server = await startShaleServe(image.shale('--root', store), socket);
    idle.push(memoryMiB(server.pid, 'VmRSS')!);
  };
  const idle: number[] = [];
  const peaks: number[] = [];
  const notes = [
    'the dockerd peer also extracts the layers into overlay2; shale stores them as ' +
      "blobs (as containerd's content store does), so that ratio compares different work.",
  ];
  /** The memory note, made anew after each pull (the harness reads notes before teardown). */
  const noteMemory = () => {
    notes.splice(
      1,
      1,
      `the server's resident memory, idle after start: median ${median(idle).toFixed(0)} MiB; ` +
        `at its peak during a pull (VmHWM): median ${median(peaks).toFixed(0)} MiB, ` +
        `largest ${Math.max(...peaks).toFixed(0)} MiB over ${peaks.length} pulls.`,
    );
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
          docker,
          'pull',
          '-q',
          ref,
        ],
      ],
      finish: (samples) => {
        if (!samples) return;
        peaks.push(memoryMiB(server?.pid, 'VmHWM')!);
        noteMemory();
      },
    },
    peers: [
      freshStoreSide('shale pull REF (fresh store)', image, path.join(dir, 'pull-store'), [
        'pull',
        '-q',
        ref,
      ]),
      dockerPeer(services, 'docker pull REF (no image before)', (docker) => ({
        prepare: () => emptyDaemon(services),
        commands: () => [docker(['pull', '-q', ref])],
      })),
    ],
    notes,
    teardown: async () => {
      emptyDaemon(services);
      await stop();
    },
  };
}
