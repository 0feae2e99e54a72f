/**
 * Where `shale serve` listens: `unix:///PATH` sockets (created with mode 0660 — owner and group
 * only — and removed on close; a stale socket nobody answers on is replaced, one in use is an
 * error) and `tcp://HOST:PORT`: on loopback addresses only, unless the TCP listeners are secured
 * with mutual TLS (`--tlsverify`, tls.ts), as dockerd asks of any other address. The default socket is
 * `$XDG_RUNTIME_DIR/shale/docker.sock`, or `/run/shale/docker.sock` for root.
 */
import { chmod, mkdir, rm, stat } from 'node:fs/promises';
import { connect, isIP, type Server } from 'node:net';
import path from 'node:path';
import { ShaleError } from '../core/index.ts';

export type ListenAddress =
  { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };

/** The default socket for this user. */
export function defaultHost(env: NodeJS.ProcessEnv = process.env): string {
  if (process.getuid?.() === 0) return 'unix:///run/shale/docker.sock';
  const runtime = env.XDG_RUNTIME_DIR || path.join('/tmp', `shale-${process.getuid?.() ?? 'user'}`);
  return `unix://${path.join(runtime, 'shale', 'docker.sock')}`;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

/**
 * A `--host` value parsed; refused when it is neither a unix socket nor TCP, or TCP on an address
 * other than loopback while the TCP listeners are not `secured` (mutual TLS).
 */
export function parseHost(text: string, secured: boolean): ListenAddress {
  if (text.startsWith('unix://')) {
    const file = text.slice('unix://'.length);
    if (!path.isAbsolute(file))
      throw new ShaleError(
        'ERR_INVALID_ARGUMENT',
        `--host ${text}: the socket path must be absolute`,
      );
    return { kind: 'unix', path: file };
  }
  const tcp = /^tcp:\/\/(\[[^\]]+\]|[^:/]+):(\d+)$/.exec(text);
  if (!tcp)
    throw new ShaleError(
      'ERR_INVALID_ARGUMENT',
      `--host ${text}: give unix:///PATH or tcp://127.0.0.1:PORT`,
    );
  const host = tcp[1]!.replace(/^\[|\]$/g, '');
  const port = Number(tcp[2]);
  if (port > 65535)
    throw new ShaleError('ERR_INVALID_ARGUMENT', `--host ${text}: port ${port} is out of range`);
  if (!secured && (!LOOPBACK.test(host) || (isIP(host) === 0 && host !== 'localhost')))
    throw new ShaleError(
      'ERR_INVALID_ARGUMENT',
      `--host ${text}: without --tlsverify shale serves TCP on loopback addresses only (anyone who reaches the port could drive the store); use a unix socket, tcp://127.0.0.1:PORT, or mutual TLS (--tlsverify --tlscacert --tlscert --tlskey)`,
    );
  return { kind: 'tcp', host, port };
}

/** Whether something answers on the unix socket `file`. */
function answers(file: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(file);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Get `file` ready for a socket: its directory made, a stale socket removed, a live one refused. */
async function prepareSocket(file: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o750 });
  const existing = await stat(file).catch(() => undefined);
  if (!existing) return;
  if (!existing.isSocket())
    throw new ShaleError(
      'ERR_INVALID_ARGUMENT',
      `${file} exists and is not a socket; remove it or choose another --host`,
    );
  if (await answers(file))
    throw new ShaleError('ERR_CONFLICT', `${file} is in use: another server listens on it`);
  await rm(file, { force: true });
}

/** Start `server` listening on `address`; resolves to what closes it (and removes the socket). */
export async function listenOn(
  server: Server,
  address: ListenAddress,
): Promise<() => Promise<void>> {
  if (address.kind === 'unix') await prepareSocket(address.path);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    if (address.kind === 'unix') server.listen(address.path, resolve);
    else server.listen(address.port, address.host, resolve);
  });
  if (address.kind === 'unix') await chmod(address.path, 0o660);
  return async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    if (address.kind === 'unix') await rm(address.path, { force: true });
  };
}
