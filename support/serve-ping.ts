/**
 * Whether a `shale serve` answers on a unix socket: `GET /_ping` gives 200 `OK`. The API tests and
 * the `serve-pull` benchmark wait on it after starting a server.
 */
import { request } from 'node:http';

export function answersPing(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    // a fresh connection each time: a kept-alive one the server has since closed fails (EPIPE)
    const req = request({ socketPath: socket, path: '/_ping', agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve(res.statusCode === 200 && body === 'OK'));
      res.on('error', () => resolve(false));
    });
    req.on('error', () => resolve(false));
    req.end();
  });
}
