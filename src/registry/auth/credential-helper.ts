/**
 * Docker credential helpers (`docker-credential-<name>` on PATH, the docker-credential-helpers
 * protocol): `get` reads the server URL on stdin and prints `{ServerURL, Username, Secret}`,
 * `store` reads that JSON, `erase` reads the server URL. A `Username` of `<token>` means the
 * secret is an identity token. Helper output is scrubbed of the secret before it is shown.
 */
import { spawn } from 'node:child_process';
import { ShaleError } from '../../core/errors.ts';
import type { Credential } from './credentials.ts';

const IDENTITY_TOKEN_USERNAME = '<token>';
const NOT_FOUND = /credentials not found/i;

interface HelperAnswer {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The credential the helper holds for `serverUrl`, or `undefined` when it has none. */
export async function helperGet(
  helper: string,
  serverUrl: string,
  signal?: AbortSignal,
): Promise<Credential | undefined> {
  const answer = await runHelper(helper, 'get', serverUrl, signal);
  if (answer.code !== 0) {
    if (NOT_FOUND.test(answer.stdout) || NOT_FOUND.test(answer.stderr)) return undefined;
    throw helperFailure(helper, 'get', answer, []);
  }
  let reply: { Username?: unknown; Secret?: unknown };
  try {
    reply = JSON.parse(answer.stdout) as typeof reply;
  } catch {
    throw new ShaleError(
      'ERR_AUTH',
      `docker-credential-${helper} get printed something other than JSON`,
    );
  }
  const username = typeof reply.Username === 'string' ? reply.Username : undefined;
  const secret = typeof reply.Secret === 'string' && reply.Secret !== '' ? reply.Secret : undefined;
  if (secret === undefined) return undefined;
  if (username === IDENTITY_TOKEN_USERNAME) return { identityToken: secret };
  return { username, password: secret };
}

/** Hands a credential to the helper for `serverUrl`. */
export async function helperStore(
  helper: string,
  serverUrl: string,
  credential: Credential,
  signal?: AbortSignal,
): Promise<void> {
  const secret = credential.identityToken ?? credential.password ?? '';
  const username =
    credential.identityToken !== undefined ? IDENTITY_TOKEN_USERNAME : (credential.username ?? '');
  const input = JSON.stringify({ ServerURL: serverUrl, Username: username, Secret: secret });
  const answer = await runHelper(helper, 'store', input, signal);
  if (answer.code !== 0) throw helperFailure(helper, 'store', answer, [secret]);
}

/** Removes the helper's credential for `serverUrl`; true when there was one. */
export async function helperErase(
  helper: string,
  serverUrl: string,
  signal?: AbortSignal,
): Promise<boolean> {
  const answer = await runHelper(helper, 'erase', serverUrl, signal);
  if (answer.code === 0) return true;
  if (NOT_FOUND.test(answer.stdout) || NOT_FOUND.test(answer.stderr)) return false;
  throw helperFailure(helper, 'erase', answer, []);
}

function runHelper(
  helper: string,
  action: 'get' | 'store' | 'erase',
  input: string,
  signal: AbortSignal | undefined,
): Promise<HelperAnswer> {
  if (!/^[A-Za-z0-9._-]+$/.test(helper)) {
    throw new ShaleError('ERR_AUTH', `"${helper}" is not a valid credential helper name`);
  }
  const program = `docker-credential-${helper}`;
  return new Promise((resolve, reject) => {
    const child = spawn(program, [action], { stdio: ['pipe', 'pipe', 'pipe'], signal });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.stdin.on('error', () => {}); // a helper that exits early closes its stdin; the exit code tells
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (signal?.aborted) return reject(signal.reason as Error);
      const reason =
        err.code === 'ENOENT'
          ? `${program} is not on PATH — install it or change config.json`
          : err.message;
      reject(new ShaleError('ERR_AUTH', `cannot run credential helper: ${reason}`));
    });
    child.on('close', (code) =>
      resolve({
        code: code ?? 1,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      }),
    );
    child.stdin.end(input);
  });
}

function helperFailure(
  helper: string,
  action: string,
  answer: HelperAnswer,
  secrets: readonly string[],
): ShaleError {
  let output = `${answer.stdout} ${answer.stderr}`;
  for (const secret of secrets) if (secret !== '') output = output.split(secret).join('***');
  output = output.replace(/\s+/g, ' ').trim().slice(0, 200);
  return new ShaleError(
    'ERR_AUTH',
    `docker-credential-${helper} ${action} failed (exit ${answer.code})${output ? `: ${output}` : ''}`,
  );
}
