// A Docker token-auth server for tests (distribution spec auth/token and auth/oauth), in-process:
// GET /token with Basic credentials or none, POST /token with an OAuth2 password or refresh_token
// grant. It signs RS256 JWTs carrying their certificate in `x5c`; the registry trusts that
// certificate (`rootcertbundle`). Listed users get every action they ask for, anonymous callers
// `pull` only (or nothing), wrong credentials a 401. Every request is logged for assertions.
import { spawnSync } from 'node:child_process';
import { randomBytes, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

export interface TestUser {
  user: string;
  password: string;
}

export interface TokenServerOptions {
  issuer: string;
  service: string;
  users: readonly TestUser[];
  /** What anonymous callers may do; default `pull`. */
  anonymous?: 'pull' | 'none';
  ttlSeconds?: number;
}

/** One request the server answered. */
export interface TokenRequest {
  method: string;
  /** `basic`, `anonymous`, `password`, `refresh_token`, or `rejected`. */
  grant: string;
  user?: string;
  scopes: string[];
}

export interface TokenServer {
  realm: string;
  /** The certificate the registry must trust. */
  certFile: string;
  requests: TokenRequest[];
  /** A refresh token (Docker's identity token) for a listed user. */
  refreshTokenFor(user: string): string;
  stop(): Promise<void>;
}

interface Grant {
  type: string;
  name: string;
  actions: string[];
}

export async function startTokenServer(
  dir: string,
  options: TokenServerOptions,
): Promise<TokenServer> {
  const keyFile = path.join(dir, 'token-key.pem');
  const certFile = path.join(dir, 'token-cert.pem');
  const made = spawnSync('openssl', [
    ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '2'],
    ...['-subj', `/CN=${options.issuer}`, '-keyout', keyFile, '-out', certFile],
  ]);
  if (made.status !== 0) throw new Error(`openssl failed: ${made.stderr.toString()}`);
  const key = readFileSync(keyFile, 'utf8');
  const certDer = readFileSync(certFile, 'utf8')
    .replace(/-----(BEGIN|END) CERTIFICATE-----/g, '')
    .replace(/\s+/g, '');
  const ttl = options.ttlSeconds ?? 300;
  const requests: TokenRequest[] = [];
  const refreshTokens = new Map<string, string>();
  const passwordOk = (user: string, password: string) =>
    options.users.some((u) => u.user === user && u.password === password);

  const b64url = (data: string | Buffer) => Buffer.from(data).toString('base64url');
  const jwt = (subject: string, access: Grant[]): string => {
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: 'JWT', alg: 'RS256', x5c: [certDer] };
    const claims = {
      ...{ iss: options.issuer, sub: subject, aud: options.service },
      ...{ exp: now + ttl, nbf: now - 10, iat: now, jti: randomBytes(8).toString('hex'), access },
    };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    return `${input}.${b64url(sign('sha256', Buffer.from(input), key))}`;
  };
  const grants = (user: string | undefined, scopes: string[]): Grant[] =>
    scopes.flatMap((text) => {
      const first = text.indexOf(':');
      const last = text.lastIndexOf(':');
      if (first < 0 || last === first) return [];
      const asked = text.slice(last + 1).split(',');
      const actions =
        user !== undefined
          ? asked
          : options.anonymous === 'none'
            ? []
            : asked.filter((a) => a === 'pull');
      return [{ type: text.slice(0, first), name: text.slice(first + 1, last), actions }];
    });

  const reply = (res: http.ServerResponse, status: number, body: object) => {
    const data = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(data);
  };
  const issue = (res: http.ServerResponse, log: TokenRequest, user?: string) => {
    requests.push(log);
    const token = jwt(user ?? '', grants(user, log.scopes));
    reply(res, 200, {
      token,
      access_token: token,
      expires_in: ttl,
      issued_at: new Date().toISOString(),
    });
  };
  const refuse = (res: http.ServerResponse, log: TokenRequest) => {
    requests.push({ ...log, grant: 'rejected' });
    reply(res, 401, { errors: [{ code: 'UNAUTHORIZED', message: 'bad credentials' }] });
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://token');
    if (url.pathname !== '/token') return reply(res, 404, {});
    if (req.method === 'GET') {
      const scopes = url.searchParams.getAll('scope').flatMap((s) => s.split(' '));
      const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
      if (basic === undefined) return issue(res, { method: 'GET', grant: 'anonymous', scopes });
      const decoded = Buffer.from(basic, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const user = decoded.slice(0, colon);
      const log = { method: 'GET', grant: 'basic', user, scopes };
      return passwordOk(user, decoded.slice(colon + 1)) ? issue(res, log, user) : refuse(res, log);
    }
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (raw += chunk));
    req.on('end', () => {
      const form = new URLSearchParams(raw);
      const scopes = (form.get('scope') ?? '').split(' ').filter((s) => s !== '');
      const grant = form.get('grant_type') ?? '';
      if (grant === 'password') {
        const user = form.get('username') ?? '';
        const log = { method: 'POST', grant, user, scopes };
        return passwordOk(user, form.get('password') ?? '')
          ? issue(res, log, user)
          : refuse(res, log);
      }
      const user = refreshTokens.get(form.get('refresh_token') ?? '');
      const log = { method: 'POST', grant, user, scopes };
      return grant === 'refresh_token' && user !== undefined
        ? issue(res, log, user)
        : refuse(res, log);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    certFile,
    requests,
    refreshTokenFor(user) {
      const token = randomBytes(16).toString('hex');
      refreshTokens.set(token, user);
      return token;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
