/**
 * The Engine API side of the served cases (`serve-pull`, `serve-images`): `shale serve` started
 * on a store and a unix socket (ready once `/_ping` answers) and stopped with SIGTERM, the docker
 * CLI that drives it, and one timed request to a server's socket (shale's or dockerd's).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { answersPing } from '../../support/serve-ping.ts';

/** The docker CLI the served cases drive (the 28.x client here), when one is installed. */
export const SERVED_DOCKER = ['/usr/local/bin/docker', '/usr/bin/docker'].find((file) =>
  existsSync(file),
);

export interface ShaleServer {
  pid: number;
  /** SIGTERM, resolved once the server has exited. */
  stop(): Promise<void>;
}

/**
 * `SHALE… serve --host unix://SOCKET`, resolved once it answers `/_ping`; `shale` is the command
 * up to `serve` (`node shale.js --root STORE`).
 */
export async function startShaleServe(
  [command, ...args]: string[],
  socket: string,
): Promise<ShaleServer> {
  if (command === undefined) throw new Error('startShaleServe: empty command');
  const child = spawn(command, [...args, 'serve', '--host', `unix://${socket}`], {
    stdio: 'ignore',
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const stop = async () => {
    child.kill('SIGTERM');
    await exited;
  };
  for (let tries = 0; !(await answersPing(socket)); tries++) {
    if (tries > 200 || child.exitCode !== null) {
      await stop();
      throw new Error('shale serve did not answer within 10 s');
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { pid: child.pid!, stop };
}

export interface TimedAnswer {
  /** From sending the request to the answer's last byte, in milliseconds. */
  ms: number;
  status: number;
  body: string;
}

/** `GET urlPath` on a fresh connection to the server on `socket`, timed. */
export function timedGet(socket: string, urlPath: string): Promise<TimedAnswer> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const req = request({ socketPath: socket, path: urlPath, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('error', reject);
      res.on('end', () =>
        resolve({
          ms: Number(process.hrtime.bigint() - t0) / 1e6,
          status: res.statusCode ?? 0,
          body,
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}
